// Settings > Emails: a click on a placeholder inserts it where the cursor is in the message.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-insert]");
  if (!button) return;
  const form = button.closest("form");
  const area = form && form.querySelector("textarea[name=body]");
  if (!area) return;
  const text = button.dataset.insert;
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? start;
  area.value = area.value.slice(0, start) + text + area.value.slice(end);
  area.focus();
  area.selectionStart = area.selectionEnd = start + text.length;
});
