// The drafts of one inquiry and the work on them, as the drafts API allows (kanal/api/drafts.py):
// whoever approves for the draft's team (the detail's `can_approve`) approves a pending draft, edited or
// not, which sends it, or rejects it with a comment; its author edits a rejected draft, which submits it
// again, and sends one that needs no approval (status `draft`). Every draft shows who did what and when.
//
// Each draft is re-rendered only when it changed, and what is typed into it (its text, a comment) is kept
// across polling. Draft text and comments are inserted as text, never as HTML.

import { h, fill, when, changed } from "./ui.js";

const typed = new Map(); // draft id -> {base, text, comment}: typed into it, not sent yet

// What the caller may do with a draft now: approve (or reject) it, resubmit it edited, send it, or nothing.
export function draftMode(draft, me) {
  const author = draft.author === me;
  // an API without `can_approve`: offered to everyone but the author; the API's 403 is shown if not theirs
  const approver = "can_approve" in draft ? Boolean(draft.can_approve) : !author;
  const needsApproval = Boolean(draft.approval);
  switch (draft.status) {
    case "pending": return approver ? "approve" : null;
    case "rejected": return author ? "resubmit" : null;
    case "draft": return author || approver ? "send" : null;
    case "failed":
      if (!needsApproval) return author || approver ? "send" : null;
      return approver ? "approve" : author ? "resubmit" : null;
    default: return null;
  }
}

export function createDrafts({ api, t, me, inquiryId, teamName, run, say }) {
  const list = h("ul", { class: "drafts", id: "draft-list" });
  const element = h("section", { id: "drafts", hidden: true, "aria-labelledby": "drafts-title" },
    h("h2", { id: "drafts-title" }, t("draft.title")), list);
  const items = new Map(); // draft id -> its li

  function remember(draft, change) {
    const kept = typed.get(draft.id);
    typed.set(draft.id, { ...(kept && kept.base === draft.text ? kept : {}), base: draft.text, ...change });
  }

  function lastEvent(draft, action) {
    const found = (draft.history || []).filter((step) => step.action === action);
    return found[found.length - 1] || null;
  }

  function notice(draft, mode) {
    const team = draft.approval ? teamName(draft.approval.team) : "";
    if (draft.status === "rejected") {
      const step = lastEvent(draft, "rejected");
      return h("p", { class: "notice draft-rejection" }, t("draft.rejected_by", { by: step ? step.by : "" }),
        step && step.comment ? [" ", h("q", {}, step.comment)] : null,
        mode === "resubmit" ? [" ", t("draft.revise")] : null);
    }
    if (draft.status === "failed") {
      return h("p", { class: "error" }, t("draft.failed", { error: (draft.reply && draft.reply.error) || "" }));
    }
    if (draft.status === "pending" && mode !== "approve") return h("p", { class: "muted" }, t("draft.waiting", { team }));
    if (draft.status === "pending") return h("p", { class: "muted" }, t("draft.asked", { team }));
    if (draft.status === "publishing") return h("p", { class: "muted" }, t("draft.publishing"));
    if (draft.status === "published") return h("p", { class: "muted" }, t("draft.published"));
    return null;
  }

  function history(draft) {
    return h("ol", { class: "draft-history", "aria-label": t("draft.history") }, (draft.history || []).map((step) =>
      h("li", { dataset: { action: step.action } }, h("time", { datetime: step.at }, when(step.at)), " · ",
        t(`draft.did.${step.action}`, { by: step.by }),
        step.comment ? [": ", h("q", {}, step.comment)] : null)));
  }

  function controls(draft, mode, text) {
    if (!mode) return null;
    const done = () => typed.delete(draft.id);
    const chosen = () => {
      const value = text.value.trim();
      if (!value) { say(t("draft.empty"), "error"); text.focus(); }
      return value;
    };
    const publish = (label, doneKey) => h("button", { type: "button", class: "draft-approve", onclick: () => {
      const value = chosen();
      if (!value) return;
      run(() => api.approveDraft(inquiryId, draft.id, value !== draft.text ? { text: value } : {}), (result) => {
        done();
        return result.status === "sent" ? t(doneKey) : t("done.failed", { error: result.error || "" });
      });
    } }, label);
    if (mode === "send") return h("div", { class: "row" }, publish(draft.status === "failed" ? t("draft.send_again") : t("draft.send"), "done.sent"));
    if (mode === "resubmit") {
      return h("div", { class: "row" }, h("button", { type: "button", class: "draft-resubmit", onclick: () => {
        const value = chosen();
        if (!value) return;
        run(() => api.editDraft(inquiryId, draft.id, { text: value }), (saved) => {
          done();
          return saved.status === "pending" ? t("done.resubmitted", { team: teamName(saved.approval && saved.approval.team) }) : t("done.edited");
        });
      } }, t("draft.resubmit")));
    }
    const approve = publish(draft.status === "failed" ? t("draft.approve_again") : t("draft.approve"), "done.approved");
    if (draft.status !== "pending") return h("div", { class: "row" }, approve);
    const kept = typed.get(draft.id);
    const comment = h("input", { type: "text", id: `draft-comment-${draft.id}`, class: "draft-comment", maxlength: "2000",
      "aria-describedby": `draft-comment-hint-${draft.id}`,
      oninput: (e) => { e.target.removeAttribute("aria-invalid"); remember(draft, { comment: e.target.value }); } });
    comment.value = (kept && kept.base === draft.text && kept.comment) || "";
    const reject = h("button", { type: "button", class: "draft-reject", onclick: () => {
      const why = comment.value.trim();
      if (!why) {
        comment.setAttribute("aria-invalid", "true");
        say(t("draft.comment_required"), "error");
        comment.focus();
        return;
      }
      run(() => api.rejectDraft(inquiryId, draft.id, { comment: why }), () => { done(); return t("done.rejected"); });
    } }, t("draft.reject"));
    return [h("div", { class: "row" }, approve),
      h("div", { class: "row" }, h("label", { class: "inline", for: comment.id }, t("draft.comment")), comment, reject),
      h("p", { class: "muted hint", id: `draft-comment-hint-${draft.id}` }, t("draft.comment_hint"))];
  }

  function render(item, draft) {
    const mode = draftMode(draft, me.id);
    const team = draft.approval ? draft.approval.team : null;
    if (!changed(item, [draft, mode, team && teamName(team)])) return;
    const focused = item.contains(document.activeElement) ? document.activeElement.id : null;
    item.dataset.status = draft.status;
    let text = null;
    if (mode) {
      const kept = typed.get(draft.id);
      text = h("textarea", { id: `draft-text-${draft.id}`, class: "draft-text", maxlength: "8000",
        oninput: (e) => remember(draft, { text: e.target.value }) });
      text.value = kept && kept.base === draft.text && kept.text !== undefined ? kept.text : draft.text;
    }
    fill(item,
      h("div", { class: "row" },
        h("span", { class: "pill draft-status", dataset: { status: draft.status } }, t(`draft.status.${draft.status}`)),
        h("span", { class: `pill ${draft.visibility}` }, t(`visibility.${draft.visibility}`)),
        h("span", { class: "muted" }, t("draft.by", { author: draft.author, at: when(draft.created_at) })),
        team ? h("span", { class: "muted" }, t("draft.approval_by", { team: teamName(team) })) : null),
      notice(draft, mode),
      text ? [h("label", { for: text.id }, mode === "approve" ? t("draft.edit_approve") : t("draft.edit")), text]
        : h("div", { class: "text draft-body" }, draft.text),
      controls(draft, mode, text),
      history(draft));
    if (focused) document.getElementById(focused)?.focus();
  }

  return {
    element,
    show(drafts) {
      element.hidden = !drafts.length;
      const seen = new Set();
      drafts.forEach((draft, index) => {
        seen.add(draft.id);
        let item = items.get(draft.id);
        if (!item) {
          item = h("li", { class: "draft", dataset: { draft: draft.id }, "aria-label": t("draft.one") });
          items.set(draft.id, item);
        }
        render(item, draft);
        if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
      });
      for (const [key, item] of items) if (!seen.has(key)) { item.remove(); items.delete(key); }
    },
  };
}
