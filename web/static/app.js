// Chat page: streams answers from /api/ask/stream (SSE over fetch), renders [n] chips, opens the
// source viewer on the exact cited span. Everything from users, documents or the model is added
// as text nodes (never innerHTML), so nothing in them can run.
"use strict";
(() => {
  const conversation = document.getElementById("conversation");
  const form = document.getElementById("ask-form");
  const input = document.getElementById("q");
  const viewer = document.getElementById("viewer");
  const history = [];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function openViewer(c) {
    const r = await fetch(`/api/documents/${encodeURIComponent(c.doc_id)}`);
    if (!r.ok) return;
    const doc = await r.json();
    document.getElementById("viewer-title").textContent = shortTitle(doc.title);
    const box = document.getElementById("viewer-text");
    box.replaceChildren();
    const mark = el("mark", "", doc.text.slice(c.start, c.end));
    mark.id = "highlight";
    box.append(doc.text.slice(0, c.start), mark, doc.text.slice(c.end));
    viewer.hidden = false;
    mark.scrollIntoView({ block: "center" });
  }

  const shortTitle = (t) => (t.length > 100 ? `${t.slice(0, 100)}…` : t);

  function chip(c) {
    const b = el("button", `chip ${c.verified ? "verified" : "unverified"}`, `[${c.n}]`);
    b.type = "button";
    b.dataset.n = c.n;
    b.title = `${c.title}${c.verified ? "" : " (unverified citation)"}`;
    b.addEventListener("click", () => openViewer(c));
    return b;
  }

  function withChips(p, text, answer) {
    const byN = new Map(answer.citations.map((c) => [c.n, c]));
    text.split(/(\[\d+\])/).forEach((part) => {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && byN.get(Number(m[1]));
      p.append(c ? chip(c) : part);
    });
    return p;
  }

  // The short answer first ("Stacy Hastie [1]"), the quote under it.
  function answerText(answer) {
    if (!answer.short_answer) return withChips(el("p", "answer-text"), answer.answer, answer);
    const cut = answer.answer.indexOf("]") + 1;
    const box = el("div", "answer-body");
    box.append(
      withChips(el("p", "short-answer"), answer.answer.slice(0, cut), answer),
      withChips(el("p", "answer-text"), answer.answer.slice(cut).replace(/^[.\s]+/, ""), answer),
    );
    return box;
  }

  function citations(answer) {
    const ol = el("ol", "citations");
    for (const c of answer.citations) {
      const li = el("li", c.verified ? "verified" : "unverified");
      li.value = c.n;
      li.append(chip(c), " ", el("strong", "", shortTitle(c.title)), " ",
        el("span", "meta",
          `(${c.doc_id}${c.page ? `, p. ${c.page}` : ""}${c.verified ? "" : ", unverified"})`),
        el("blockquote", "quote", c.quote));
      ol.append(li);
    }
    return ol;
  }

  function conflicts(answer) {
    const box = el("div", "conflicts");
    box.append(el("h3", "", "Sources disagree"));
    for (const conflict of answer.conflicts) {
      const ul = el("ul");
      for (const v of conflict.values) {
        const li = el("li");
        li.append(el("strong", "", v.value), ` — ${shortTitle(v.title)} `);
        if (v.n) li.append(chip({ ...v, verified: true }));
        ul.append(li);
      }
      box.append(ul);
    }
    return box;
  }

  function feedback(answer) {
    const box = el("div", "feedback");
    for (const [rating, label] of [["up", "Helpful"], ["down", "Not helpful"]]) {
      const b = el("button", "", label);
      b.type = "button";
      b.addEventListener("click", async () => {
        const r = await fetch("/api/feedback", {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ rating, question: answer.question, answer: answer.answer,
                                 citations: answer.citations }),
        });
        if (r.ok) b.classList.add("sent");
      });
      box.append(b);
    }
    return box;
  }

  function render(box, answer, final = true) {
    box.replaceChildren();
    box.className = `answer done${answer.abstained ? " abstained" : ""}`;
    box.append(answerText(answer));
    if (answer.citations.length) box.append(citations(answer));
    if (answer.conflicts.length) box.append(conflicts(answer));
    const t = answer.timings_ms;
    let meta = `answered by ${answer.backend} · ${Math.round(t.total)} ms`;
    if (t.first_token) meta += ` · first token ${Math.round(t.first_token)} ms`;
    box.append(el("p", "meta backend", meta));
    if (answer.rewritten_question) {
      box.append(el("p", "meta rewritten", `searched: ${answer.rewritten_question}`));
    }
    if (!final) return;
    if (answer.decision) box.append(el("p", "meta decision", answer.decision));
    box.append(feedback(answer));
  }

  async function ask(question) {
    const turn = el("div", "turn");
    const box = el("section", "answer pending");
    let draft = el("p", "answer-text draft", "…");
    box.append(draft);
    turn.append(el("div", "question", question), box);
    conversation.append(turn);
    turn.scrollIntoView({ block: "end" });
    const r = await fetch("/api/ask/stream", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ question, history: history.slice(-10) }),
    });
    if (!r.ok) {
      const err = await r.json().catch(() => ({ detail: r.statusText }));
      box.className = "answer error done";
      box.replaceChildren(el("p", "", `Error: ${err.detail}`));
      return;
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let started = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        // Split on "\n" only: a regex's "." and "$" also stop at U+2028/U+2029, which documents
        // and questions may hold.
        const field = (name) => frame.split("\n").find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
        const kind = field("event");
        const data = JSON.parse(field("data") ?? "{}");
        if (kind === "draft") {
          // The verified extractive answer, shown at once; the LLM's answer may replace it.
          render(box, data, false);
          box.classList.add("provisional");
          draft = el("p", "answer-text draft", "");
          box.append(el("p", "meta improving", "the model is writing a shorter answer…"), draft);
        } else if (kind === "token") {
          if (!started) { draft.textContent = ""; started = true; }
          draft.textContent += data.text;
        } else if (kind === "reset") {
          draft.textContent = "";
        } else if (kind === "answer") {
          render(box, data);
          history.push({ role: "user", content: question }, { role: "assistant", content: data.answer });
        }
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  });
  document.getElementById("viewer-close").addEventListener("click", () => { viewer.hidden = true; });
})();
