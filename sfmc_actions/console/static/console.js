// Every htmx request carries the session's CSRF token; the live view can be paused.
document.addEventListener("htmx:configRequest", function (e) {
  e.detail.headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf"]').content;
});
document.addEventListener("click", function (e) {
  var button = e.target.closest("[data-pause]");
  if (!button) return;
  window.consolePaused = !window.consolePaused;  // the rows' hx-trigger filter reads it
  button.setAttribute("aria-pressed", window.consolePaused ? "true" : "false");
  button.textContent = window.consolePaused ? "Resume" : "Pause";
});
document.addEventListener("change", function (e) {
  if (e.target.matches("[data-select-all]")) {
    document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = e.target.checked; });
  }
});
