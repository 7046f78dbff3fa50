"""The chat page's own script (copy buttons) and style sheet, kept apart from its layout."""

#: Copies a quote with its citation when its button is clicked (delegated: answers come later).
COPY_JS = """
element.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const text = button.dataset.copy;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    // Not a secure context (served to another machine over http): the old way still works.
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.dataset.label = button.dataset.label || button.textContent;
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
});
"""

CSS = """
.qa-sources { display: flex; flex-direction: column; gap: 10px; }
.qa-empty { color: var(--body-text-color-subdued); padding: 8px 2px; }
.qa-sources-title { font-weight: 600; color: var(--body-text-color); }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  padding: 10px 12px; background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.qa-card-head { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline;
  font-size: var(--text-sm); }
.qa-rank { font-weight: 700; color: var(--color-accent); }
.qa-source { font-weight: 600; overflow-wrap: anywhere; }
.qa-where { color: var(--body-text-color-subdued); }
.qa-rel { border-radius: 999px; padding: 0 8px; font-size: var(--text-xs);
  border: 1px solid var(--border-color-primary); }
.qa-rel-high { background: rgba(34, 197, 94, 0.18); }
.qa-rel-medium { background: rgba(234, 179, 8, 0.18); }
.qa-rel-low { background: rgba(148, 163, 184, 0.18); }
.qa-passage, .qa-context-text { white-space: pre-wrap; overflow-wrap: anywhere;
  margin-top: 6px; line-height: 1.5; font-size: var(--text-md); }
.qa-context summary { cursor: pointer; margin-top: 6px; font-size: var(--text-sm);
  color: var(--color-accent); }
.qa-context-text { max-height: 320px; overflow-y: auto; padding: 6px 8px;
  border-left: 3px solid var(--color-accent); background: var(--background-fill-primary); }
.qa-muted { color: var(--body-text-color-subdued); }
.qa-actions { margin-top: 8px; display: flex; flex-wrap: wrap; gap: 6px; }
.qa-copy { font-size: var(--text-sm); padding: 2px 10px; border-radius: var(--radius-md);
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
  color: var(--body-text-color); cursor: pointer; }
.qa-copy:hover, .qa-copy:focus-visible { border-color: var(--color-accent); }
mark { background: #fde047; color: #111827; border-radius: 2px; padding: 0 1px; }
#qa-doc-list .qa-docs table { width: 100%; border-collapse: collapse; border: none !important;
  font-size: var(--text-sm); margin-top: 6px; }
#qa-doc-list .qa-docs th, #qa-doc-list .qa-docs td { text-align: left; padding: 4px 6px;
  border: none; border-bottom: 1px solid var(--border-color-primary); }
#qa-doc-list .qa-docs .qa-num { text-align: right; }
.qa-doc-name { overflow-wrap: anywhere; }
@media (max-width: 640px) {
  .qa-docs th:nth-child(2), .qa-docs td:nth-child(2),
  .qa-docs th:nth-child(3), .qa-docs td:nth-child(3) { display: none; }
}
"""
