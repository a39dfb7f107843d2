/* Greenlight's only script: keyboard help that the pages work without. */
(function () {
  "use strict";
  // A form returned with errors: focus the first field in error, else the error summary.
  var first = document.querySelector(".field-error input:not([type=hidden]), .field-error select, .field-error textarea")
    || document.querySelector(".errorlist.nonfield");
  if (first) {
    if (!first.matches("input, select, textarea")) { first.setAttribute("tabindex", "-1"); }
    first.focus();
  }
  // A form that undoes something asks first (data-confirm: the question). An inline
  // onsubmit handler would be blocked by the Content-Security-Policy (no inline script).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
