// tracelot's pages on the warehouse floor: one module for every page (issue 21).
//   - the menu collapses behind its button on a phone (html.js: without JavaScript it stays open)
//   - Enter in a form's field moves to the next field (a scanner's Enter no longer submits half a
//     form); the last field, and a scan list's scan box, submit
//   - a scan list (form[data-scan-form]) lives in the browser (localStorage, per user and form)
//     until it is committed: restored after a reload, a new login or a dropped connection; offline,
//     scans queue and the page says so; its commit carries the form's idempotency key (`once`),
//     kept until the list changes, so a commit sent again is booked once
//   - each answered scan sounds (Web Audio: high and short accepted, low and long refused; muted
//     per user) and vibrates where the device can; the scan box keeps the cursor
//   - every refusal or network failure is said in words (the notice under the header)
document.documentElement.classList.add("js");

const user = () => document.body.dataset.user || "";

// ---- the notice: what went wrong (or is queued), where the user looks -----------------------
function say(text, tone) {
  const notice = document.querySelector("[data-net-notice]");
  if (!notice) return;
  notice.textContent = text || "";
  notice.hidden = !text;
  notice.dataset.tone = tone || "";
}

// ---- the menu -------------------------------------------------------------------------------
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  toggle.closest(".top").classList.toggle("open", open);
});

// ---- Enter moves to the next field ----------------------------------------------------------
const FIELDS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]):not([disabled]), select:not([disabled])";
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.form) return;
  const form = field.form;
  if (form.getAttribute("role") === "search" || form.hasAttribute("data-enter-submits")) return;
  if (form.hasAttribute("data-scan-form") && field.hasAttribute("data-scan")) return;  // adds the scan
  const fields = [...form.querySelectorAll(FIELDS)].filter((f) => f.offsetParent !== null);
  const next = fields[fields.indexOf(field) + 1];
  if (!next) return;  // the last field submits
  event.preventDefault();
  next.focus();
  if (next.select) next.select();
});

// ---- scan sounds and vibration --------------------------------------------------------------
const muteKey = () => "tracelot:mute:" + user();
const muted = () => localStorage.getItem(muteKey()) === "1";
let audio = null;
function sound(outcome) {
  document.body.dataset.sound = outcome;  // what was last played (the tests read it)
  document.body.dataset.sounds = String(Number(document.body.dataset.sounds || 0) + 1);
  if (navigator.vibrate) navigator.vibrate(outcome === "accepted" ? 40 : [120, 60, 120]);
  if (muted()) return;
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = outcome === "accepted" ? "sine" : "square";
    tone.frequency.value = outcome === "accepted" ? 1320 : 220;
    const length = outcome === "accepted" ? 0.08 : 0.35;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + length);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + length);
  } catch (error) { /* no sound on this device: the page still says it */ }
}
function showMute(button) {
  button.setAttribute("aria-pressed", String(muted()));
  button.textContent = muted() ? "Sound off" : "Sound on";
}
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-mute]");
  if (!button) return;
  localStorage.setItem(muteKey(), muted() ? "0" : "1");
  showMute(button);
  focusScan();
});

function focusScan() {
  const box = document.querySelector("form[data-scan-form] [data-scan]");
  if (box) box.focus();
}

// ---- the scan list kept in the browser ------------------------------------------------------
const scanForm = () => document.querySelector("form[data-scan-form]");
const listKey = (form) => "tracelot:list:" + user() + ":" + form.dataset.scanForm;
function stored(form) {
  try { return JSON.parse(localStorage.getItem(listKey(form))) || null; } catch (e) { return null; }
}
function store(form, state) {
  if (!state || (!state.scans.length && !state.queued.length)) localStorage.removeItem(listKey(form));
  else localStorage.setItem(listKey(form), JSON.stringify(state));
}
const field = (form, name) => form.querySelector(`[name=${name}]:not([type=hidden])`);
function fromPage(form) {
  const batch = form.querySelector("#batch");
  const before = stored(form) || {};
  return {
    scans: [...batch.querySelectorAll("input[name=scans]")].map((i) => i.value),
    queued: before.queued || [],
    once: (batch.querySelector("input[name=once]") || {}).value || "",
    to: field(form, "to") ? field(form, "to").value : "",
    target: field(form, "target") ? field(form, "target").value : "",
    reference: field(form, "reference") ? field(form, "reference").value : "",
    supplier: field(form, "supplier") ? field(form, "supplier").value : "",
    po: field(form, "po") ? field(form, "po").value : "",
  };
}
function showQueued(form, state) {
  const body = form.querySelector("#batch tbody");
  if (!body) return;
  body.querySelectorAll("tr.queued").forEach((row) => row.remove());
  for (const text of state.queued) {  // each put on top: the newest ends up first
    const row = document.createElement("tr");
    row.className = "queued";
    const cell = document.createElement("td");
    cell.colSpan = 7;
    cell.dataset.label = "queued";
    cell.textContent = text + " (queued: checked when the connection is back)";
    row.append(cell);
    body.prepend(row);
  }
}
// send the list (and what is queued) to be checked again: a restore, or back online
function resend(form, state) {
  const batch = form.querySelector("#batch");
  batch.querySelectorAll("input[name=scans]").forEach((i) => i.remove());
  for (const text of [...state.scans, ...state.queued]) {
    const hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = "scans"; hidden.value = text;
    batch.append(hidden);
  }
  const once = batch.querySelector("input[name=once]");
  if (once && state.once) once.value = state.once;
  for (const name of ["to", "target", "reference", "supplier", "po"]) {
    const input = field(form, name);
    if (input && !input.value && state[name]) input.value = state[name];
  }
  form.dataset.resending = "1";
  form.requestSubmit(form.querySelector("button[value=add]"));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-mute]").forEach(showMute);
  const form = scanForm();
  if (!form) return;
  if (form.querySelector("#batch [data-testid=done]")) {  // committed (a whole page's answer)
    localStorage.removeItem(listKey(form));
    return;
  }
  const state = stored(form);
  const onPage = form.querySelectorAll("#batch input[name=scans]").length;
  if (state && !onPage && (state.scans.length || state.queued.length)) {
    const n = state.scans.length + state.queued.length;
    say(`${n} scan${n === 1 ? "" : "s"} kept in this browser: restored, and checked again.`);
    if (navigator.onLine) resend(form, state); else showQueued(form, state);
  } else if (onPage) {
    store(form, fromPage(form));
  }
});

// a request of the scan list: offline, it is queued here instead of sent
document.addEventListener("htmx:configRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-scan-form]");
  if (!form) return;
  const params = event.detail.parameters;
  const action = (params.get ? params.get("action") : params.action) || "add";
  const scan = ((params.get ? params.get("scan") : params.scan) || "").trim();
  const state = fromPage(form);
  form.dataset.action = action;
  if (!navigator.onLine) {
    event.preventDefault();
    if (action === "add" && scan) {
      state.queued.push(scan);
      store(form, state);
      showQueued(form, state);
      field(form, "scan").value = "";
      say(`Offline: ${state.queued.length} scan${state.queued.length === 1 ? "" : "s"} queued in this browser, not checked yet. They are sent when the connection is back.`, "offline");
    } else if (action === "commit") {
      sound("refused");
      say("Offline: nothing was booked. The list is kept in this browser; commit it when the connection is back.", "offline");
    }
    focusScan();
    return;
  }
  if (form.dataset.resending) return;  // the stored list already holds what is resent
  if (action === "add" && scan) state.queued.push(scan);  // in flight: kept if the answer never comes
  store(form, state);
});

document.addEventListener("htmx:afterSwap", (event) => {
  const form = scanForm();
  const batch = document.querySelector("#batch");
  // the form that asked (the swapped target itself is gone from the page by now)
  const asked = event.detail.requestConfig ? event.detail.requestConfig.elt : null;
  if (!form || !batch || !asked || !form.contains(asked)) {
    const box = document.querySelector("[data-scan]");  // another page's scan box (a count's)
    if (box) { box.value = ""; box.focus(); }
    return;
  }
  const state = fromPage(form);
  state.queued = [];
  if (batch.querySelector("[data-testid=done]")) localStorage.removeItem(listKey(form));
  else store(form, state);
  const outcome = batch.dataset.outcome;
  if (outcome && !form.dataset.resending) sound(outcome);
  if (form.dataset.resending) {
    const n = state.scans.length;
    say(`${n} scan${n === 1 ? "" : "s"} kept in this browser, checked again: the list is as it was.`);
  } else {
    say("");
  }
  delete form.dataset.resending;
  const box = field(form, "scan");
  box.value = "";
  box.focus();
});

// the server refused the request itself (too long, a session ended, a fault): said in words
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status === 401) {
    say("Your session has ended: log in again. The list is kept in this browser.");
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname));
    return;
  }
  let why = "";
  try {
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    why = (page.querySelector(".error") || {}).textContent || "";
  } catch (error) { /* not a page */ }
  const form = scanForm();
  if (form) delete form.dataset.resending;
  if (form) {  // the scan was not taken: nothing to keep of it
    const state = fromPage(form);
    state.queued = [];
    store(form, state);
    field(form, "scan").value = "";
  }
  sound("refused");
  say(`Refused by the server (${xhr.status}): ${why.trim() || xhr.statusText || "no reason given"}`, "refused");
  focusScan();
});

document.addEventListener("htmx:sendError", () => {
  const form = scanForm();
  if (form) delete form.dataset.resending;
  sound("refused");
  if (form && form.dataset.action === "commit") {
    say("The connection dropped while committing: it may or may not be booked. Commit again once connected: the list is booked only once.", "offline");
  } else {
    const state = form ? stored(form) : null;
    const n = state ? state.queued.length : 0;
    say(`No connection to the server: ${n} scan${n === 1 ? "" : "s"} queued in this browser, sent when the connection is back.`, "offline");
    if (form && state) showQueued(form, state);
  }
  if (form) field(form, "scan").value = "";
  focusScan();
});

window.addEventListener("online", () => {
  const form = scanForm();
  const state = form ? stored(form) : null;
  if (state && state.queued.length) {
    say(`Back online: sending ${state.queued.length} queued scan${state.queued.length === 1 ? "" : "s"}.`);
    resend(form, state);
  } else {
    say("");
  }
});
window.addEventListener("offline", () => {
  if (scanForm()) say("Offline: scans are queued in this browser until the connection is back.", "offline");
});

// Camera scanning on phones and tablets: the browser's own BarcodeDetector where it has
// one, else the ZXing decoder tracelot serves itself (/assets/vendor, from npm). A code
// read goes into the scan box and is sent as if a scanner had typed it.
async function barcodeReader() {
  if ("BarcodeDetector" in window) return new window.BarcodeDetector();
  if (!window.BarcodeDetectionAPI) {
    await new Promise((done, failed) => {
      const script = document.createElement("script");
      script.src = "/assets/vendor/barcode-detector.js";
      script.onload = done;
      script.onerror = failed;
      document.head.append(script);
    });
    window.BarcodeDetectionAPI.setZXingModuleOverrides({
      locateFile: (file) => "/assets/vendor/" + file,
    });
  }
  return new window.BarcodeDetectionAPI.BarcodeDetector();
}

function stopCamera(video) {
  video.srcObject.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
  video.hidden = true;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-camera]");
  if (!button) return;
  const video = document.querySelector("[data-camera-view]");
  const status = document.querySelector("[data-camera-status]");
  if (video.srcObject) { stopCamera(video); button.textContent = "Camera"; return; }
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment" }, audio: false,
    });
  } catch (error) {
    status.textContent = "No camera: " + error.message;
    return;
  }
  video.hidden = false;
  button.textContent = "Stop the camera";
  await video.play();
  const reader = await barcodeReader();
  let last = "";
  const look = async () => {
    if (!video.srcObject) return;
    try {
      const [code] = await reader.detect(video);
      if (code && code.rawValue !== last) {  // the same label held up is read once
        last = code.rawValue;
        status.textContent = "Read: " + last;
        const box = document.querySelector("[data-scan]");
        box.value = last;
        box.form.requestSubmit(box.form.querySelector("button[value=add]"));
      }
    } catch (error) {
      status.textContent = "The camera is not ready: " + error.message;
    }
    setTimeout(look, 250);
  };
  look();
});

// A table or chart that scrolls in its own box (a phone) can be scrolled from the keyboard.
function scrollersFocusable() {
  document.querySelectorAll("main table, main figure, main div, main section, main form").forEach((box) => {
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
    if (scrolls && box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else if (box.tabIndex === 0 && !box.hasAttribute("data-keep-tabindex")) box.removeAttribute("tabindex");
  });
}
document.addEventListener("DOMContentLoaded", scrollersFocusable);
document.addEventListener("htmx:afterSettle", scrollersFocusable);
window.addEventListener("resize", scrollersFocusable);
