// The import preview without JS: each paragraph's text field is prefilled and may be trimmed by hand. With JS,
// selecting part of the paragraph and clicking "标为问题" keeps only the selection.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[value^='mark:']") : null;
  if (!button) { return; }
  var field = document.getElementById("para" + button.value.slice(5) + "-text");
  if (!field || field.selectionStart === field.selectionEnd) { return; }
  var part = field.value.slice(field.selectionStart, field.selectionEnd).trim();
  if (part) { field.value = part; }
});
