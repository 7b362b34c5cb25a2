// Documents page: upload files (POST /api/documents) and delete documents (DELETE); the page
// reloads to show the index as it now is. Server text is shown as text, never as HTML.
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  const status = document.getElementById("upload-status");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("upload-files");
    if (!input.files.length) { status.textContent = "Choose one or more files first."; return; }
    const body = new FormData();
    for (const file of input.files) body.append("files", file);
    status.textContent = "Indexing…";
    const r = await fetch("/api/documents", { method: "POST", body });
    const data = await r.json().catch(() => ({ detail: r.statusText }));
    if (!r.ok) {
      status.textContent = `Not added: ${data.detail}`;
      return;
    }
    const added = data.documents.map((d) => d.doc_id).join(", ");
    const skipped = data.errors.map((e) => `${e.file}: ${e.detail}`).join("; ");
    status.textContent = `Added ${added}.${skipped ? ` Skipped ${skipped}` : ""}`;
    setTimeout(() => window.location.reload(), 800);
  });

  for (const button of document.querySelectorAll("button.delete")) {
    button.addEventListener("click", async () => {
      const id = button.dataset.docId;
      if (!window.confirm(`Delete ${id} from the index?`)) return;
      const r = await fetch(`/api/documents/${encodeURIComponent(id)}`, { method: "DELETE" });
      const data = await r.json().catch(() => ({ detail: r.statusText }));
      status.textContent = r.ok ? `Deleted ${id}. ${data.note || ""}` : `Not deleted: ${data.detail}`;
      if (r.ok) setTimeout(() => window.location.reload(), 800);
    });
  }
})();
