// After each scan is answered, the scan box is emptied and takes the cursor again, so a
// keyboard-wedge scanner (text, then Enter) can go on; the list stays as the server sent it.
document.addEventListener("htmx:afterSwap", () => {
  const box = document.querySelector("[data-scan]");
  if (box) { box.value = ""; box.focus(); }
});
