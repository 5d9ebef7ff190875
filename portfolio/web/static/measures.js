// The indicator form, enhanced: choosing a standard measure fills in its unit and fixes it, and shows the
// women and men fields only for a measure that counts people. The server checks the same on saving.
"use strict";
(function () {
  const select = document.getElementById("f-measure");
  const unit = document.getElementById("f-unit");
  const breakdown = document.getElementById("f-breakdown");
  if (!select || !unit || !breakdown) return;
  const freeUnit = unit.readOnly ? "" : unit.value;
  function sync(changed) {
    const option = select.options[select.selectedIndex];
    const measureUnit = option ? option.dataset.unit : "";
    if (measureUnit) {
      unit.value = measureUnit;
      unit.readOnly = true;
    } else if (unit.readOnly) {
      unit.value = changed ? freeUnit : unit.value;
      unit.readOnly = false;
    }
    const people = Boolean(option) && option.dataset.people === "1";
    const inputs = Array.from(breakdown.querySelectorAll("input"));
    if (changed && !people) {
      inputs.forEach(function (input) { input.value = ""; });
    }
    // what was typed stays in sight, with the server's message beside it, until the person clears it
    breakdown.hidden = !people && !inputs.some(function (input) { return input.value !== ""; });
  }
  select.addEventListener("change", function () { sync(true); });
  sync(false);
})();
