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
})();
