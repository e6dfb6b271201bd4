// After each scan is answered, the scan box is emptied and takes the cursor again, so a
// keyboard-wedge scanner (text, then Enter) can go on; the list stays as the server sent it.
document.addEventListener("htmx:afterSwap", () => {
  const box = document.querySelector("[data-scan]");
  if (box) { box.value = ""; box.focus(); }
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
