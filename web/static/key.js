// RAG_KEYS_FOR_READS: keep the key typed here for this tab, and send it as a session cookie
// (SameSite=Strict) with the page's own requests.
const form = document.getElementById("key-form");
const remember = (key) => {
  sessionStorage.setItem("rag_key", key);
  document.cookie = `rag_key=${encodeURIComponent(key)}; path=/; SameSite=Strict`;
};
if (form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remember(document.getElementById("key").value);
    location.reload();
  });
}
const kept = sessionStorage.getItem("rag_key");
if (kept && !document.cookie.includes("rag_key=")) {
  remember(kept);
  location.reload();
}
