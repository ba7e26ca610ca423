// One inquiry: the whole conversation oldest first (public and private marked), the customer's timeline,
// notes, drafts, and the work on it. Polling re-renders only the sections whose data changed; the forms
// (reply, note, transfer, CSAT) are built once per inquiry, so typed text survives every update.

import { h, fill, channelMark, bandMark, slaMark, paintSla, duration, when, changed } from "./ui.js";
import { createDrafts } from "./drafts.js";

const typed = new Map(); // inquiry id -> reply text not sent yet

function latestInbound(detail) {
  const inbound = (detail.messages || []).filter((m) => m.direction === "in" && !m.removed);
  return inbound[inbound.length - 1] || null;
}

// Which visibilities a reply may take on this channel (the channel clients refuse the others).
export function replyVisibilities(detail) {
  const latest = latestInbound(detail);
  const answering = latest ? latest.visibility : detail.visibility;
  if (["messenger", "whatsapp", "email"].includes(detail.channel)) return ["private"];
  if (detail.channel === "instagram" && answering === "private") return ["private"];
  return answering === "private" ? ["private", "public"] : ["public", "private"];
}

export function createInquiry({ api, t, me, onChanged, onOpen }) {
  const element = h("section", { class: "card", id: "inquiry", "aria-label": t("inquiry.title") },
    h("p", { class: "muted" }, t("inquiry.none")));
  let id = null;
  let detail = null;
  let parts = null;
  let teams = [];
  let drafts = null; // the drafts section (drafts.js)
  const unsupported = new Set(); // routes the API answered 404 for: their controls stay hidden
  const lead = me.groups.includes("leads") || me.groups.includes("admins");

  api.teams().then((page) => { teams = page.items; }).catch(() => {});

  function say(text, kind = "status") {
    fill(parts.outcome, text);
    parts.outcome.className = kind === "error" ? "error" : "muted";
    parts.outcome.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function sayError(failure) {
    const lines = [failure.message];
    if (failure.reason) lines.push(failure.reason);
    if (failure.options && failure.options.length) {
      lines.push(t("error.options", { options: failure.options.map((o) => t(`option.${o}`)).join(", ") }));
    }
    fill(parts.outcome, lines.map((line, i) => h(i ? "span" : "strong", {}, line, h("br"))));
    parts.outcome.className = "error";
    parts.outcome.setAttribute("role", "alert");
  }

  function teamName(team) {
    const found = teams.find((candidate) => candidate.id === team);
    return found ? found.name : team || "";
  }

  // Run a request, say what it did, show the change; a refusal is shown unless `refused` takes it.
  async function act(run, done, refused) {
    try {
      const result = await run();
      if (done) say(done(result));
      await refresh();
      onChanged();
      return result;
    } catch (failure) {
      if (failure.status === 401) return null;
      if (!(refused && refused(failure))) sayError(failure);
      return null;
    }
  }

  function build() {
    const text = h("textarea", { id: "reply-text", "aria-label": t("reply.text"), maxlength: "8000",
      oninput: (e) => typed.set(id, e.target.value) });
    text.value = typed.get(id) || "";
    const visibility = h("fieldset", { id: "reply-visibility" }, h("legend", {}, t("reply.visibility")));
    const waiting = h("input", { type: "checkbox", id: "reply-waiting" });
    const window = h("p", { class: "window", id: "reply-window", "aria-live": "polite" });
    const send = h("button", { type: "submit", id: "reply-send" }, t("reply.send"));
    const draft = h("button", { type: "button", id: "reply-draft", hidden: true, onclick: () => saveDraft() }, t("draft.save"));
    const approval = h("p", { class: "notice", id: "reply-approval", role: "alert", hidden: true });
    const reply = h("form", { id: "reply-form", "aria-label": t("reply.title"), onsubmit: (e) => { e.preventDefault(); sendReply(); } },
      h("h2", {}, t("reply.title")), text, h("div", { class: "row" }, visibility,
        h("label", { class: "inline" }, waiting, " ", t("reply.waiting"))), window, approval, h("div", { class: "row" }, send, draft));
    drafts = createDrafts({ api, t, me, inquiryId: id, teamName, run: act, say });

    const noteText = h("textarea", { id: "note-text", "aria-label": t("note.text") });
    const noteForm = h("form", { id: "note-form", onsubmit: (e) => { e.preventDefault(); addNote(); } },
      noteText, h("button", { type: "submit" }, t("note.add")));

    const toTeam = h("select", { id: "transfer-team" });
    const toAgent = h("input", { id: "transfer-agent", autocomplete: "off" });
    const transferNote = h("textarea", { id: "transfer-note", required: true });
    const transfer = h("details", { id: "transfer" }, h("summary", {}, t("transfer.title")),
      h("form", { onsubmit: (e) => { e.preventDefault(); transferIt(); } },
        h("div", { class: "row" }, h("label", { class: "inline" }, t("transfer.team"), " ", toTeam),
          h("label", { class: "inline" }, t("transfer.agent"), " ", toAgent)),
        h("label", {}, t("transfer.note"), transferNote),
        h("button", { type: "submit", id: "transfer-send" }, t("transfer.send"))));

    const score = h("select", { id: "csat-score" }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, String(n))));
    const nps = h("select", { id: "csat-nps" }, h("option", { value: "" }, "–"),
      [...Array(11).keys()].reverse().map((n) => h("option", { value: n }, String(n))));
    const csatForm = h("form", { id: "csat-form", hidden: !lead, onsubmit: (e) => { e.preventDefault(); rate(); } },
      h("label", { class: "inline" }, t("csat.score"), " ", score),
      h("label", { class: "inline" }, t("csat.nps"), " ", nps), h("button", { type: "submit" }, t("csat.send")));
    const csat = h("div", { id: "csat" }, h("h2", {}, t("csat.title")), h("p", { id: "csat-shown" }), csatForm);

    parts = {
      header: h("div", { id: "inquiry-header" }),
      actions: h("div", { class: "actions", id: "inquiry-actions" }),
      outcome: h("p", { id: "inquiry-outcome", role: "status", "aria-live": "polite" }),
      handedOver: h("p", { class: "notice", id: "transfer-shown", hidden: true }),
      conversation: h("ol", { class: "conversation", id: "conversation", "aria-label": t("conversation.title") }),
      drafts: drafts.element,
      notes: h("ul", { id: "notes" }),
      timeline: h("ul", { id: "timeline" }),
      text, visibility, waiting, window, send, draft, approval, reply, noteText, toTeam, toAgent, transferNote, transfer,
      score, nps, csat, csatForm,
    };
    fill(element,
      parts.header, parts.actions, parts.outcome, parts.handedOver,
      h("h2", {}, t("conversation.title")), parts.conversation, parts.drafts, reply,
      transfer, csat,
      h("h2", {}, t("note.title")), parts.notes, noteForm,
      h("h2", {}, t("timeline.title")), parts.timeline);
  }

  function renderHeader() {
    const item = detail;
    const who = item.author.name || item.author.handle || item.author.id;
    if (!changed(parts.header, [item.author, item.channel, item.priority, item.status, item.assignee, item.team, item.sla, item.breached, item.visibility, item.sender_verified, item.routing_failure])) return;
    fill(parts.header,
      h("h1", { id: "inquiry-title" }, channelMark(item.channel, t), " ", who,
        item.author.handle && item.author.name ? h("span", { class: "muted" }, ` @${item.author.handle}`) : null),
      h("div", { class: "row" }, bandMark(item.priority, t),
        h("span", { class: "pill", id: "inquiry-status" }, t(`status.${item.status}`)),
        h("span", { class: `pill ${item.visibility}` }, t(`visibility.${item.visibility}`)),
        item.sender_verified === false ? h("span", { class: "pill unverified", id: "inquiry-unverified",
          title: t("sender.unverified_hint") }, t("sender.unverified")) : null,
        item.routing_failure ? h("span", { class: "pill unverified", id: "inquiry-routing-failed",
          title: t("routing.failed_hint", { state: item.routing_failure.state, error: item.routing_failure.error }) }, t("routing.failed")) : null,
        h("span", {}, item.assignee ? t("queue.assignee", { agent: item.assignee }) : t("queue.unassigned")),
        item.team ? h("span", { class: "muted" }, t("inquiry.team", { team: item.team })) : null,
        h("span", {}, t("inquiry.sla"), " ", slaMark(asItem(item), t)),
        item.sla && item.sla.first_response_at ? h("span", { class: "muted" }, t("inquiry.first_response", { at: when(item.sla.first_response_at) })) : null,
        (item.escalations || []).length ? h("span", { class: "muted" }, t("inquiry.escalations", { n: item.escalations.length })) : null));
  }

  function asItem(item) {
    return { ...item, sla_responded: item.sla && item.sla.responded, sla_paused: item.sla && item.sla.paused,
      sla_warn_at: item.sla && item.sla.warn_at, breached: item.breached || (item.sla && item.sla.breached) };
  }

  function renderActions() {
    const mine = detail.assignee === me.id;
    const open = detail.status !== "resolved";
    const key = [detail.status, detail.assignee, detail.claimed_at, detail.visibility, [...unsupported]];
    // claim: take an inquiry nobody owns, or confirm one the routing gave you (another's is theirs)
    const claimable = open && (!detail.assignee || (mine && !detail.claimed_at));
    if (!changed(parts.actions, key)) return;
    const button = (name, label, run, done) => h("button", { type: "button", id: `action-${name}`,
      onclick: () => act(run, done) }, label);
    fill(parts.actions,
      claimable ? button("claim", t("action.claim"), () => api.claim(id), () => t("done.claimed")) : null,
      open && detail.status === "assigned" ? button("wait", t("action.wait"), () => api.wait(id), () => t("done.waiting")) : null,
      open && detail.visibility === "public" && !unsupported.has("handover") ? button("handover", t("action.handover"), handover) : null,
      open ? button("resolve", t("action.resolve"), () => api.resolve(id), () => t("done.resolved")) : null,
      !open ? button("reopen", t("action.reopen"), () => api.reopen(id), () => t("done.reopened")) : null);
    parts.transfer.hidden = !open;
  }

  async function handover() {
    try {
      await api.handover(id);
      say(t("done.handover"));
      await refresh();
      onChanged();
    } catch (failure) {
      if (failure.noRoute) {
        unsupported.add("handover");
        renderActions();
        say(t("handover.unavailable"));
        return;
      }
      if (failure.status !== 401) sayError(failure);
    }
  }

  function renderConversation() {
    if (!changed(parts.conversation, detail.messages)) return;
    const atBottom = parts.conversation.scrollHeight - parts.conversation.scrollTop - parts.conversation.clientHeight < 8;
    fill(parts.conversation, (detail.messages || []).map((m) => {
      const author = m.direction === "in" ? (m.author.name || m.author.handle || m.author.id) : t("message.agent", { agent: m.author.id });
      const delivery = m.delivery ? h("span", { class: m.delivery.status === "failed" ? "failed" : "muted" },
        t(`delivery.${m.delivery.status}`), m.delivery.error ? `: ${m.delivery.error}` : "") : null;
      return h("li", { class: `message ${m.direction} ${m.visibility}`, dataset: { direction: m.direction, visibility: m.visibility } },
        h("div", { class: "head" }, h("strong", {}, author), channelMark(m.channel || detail.channel, t),
          h("span", { class: `pill ${m.visibility}` }, t(`visibility.${m.visibility}`)),
          h("span", {}, when(m.created_at)), m.edited ? h("span", {}, t("message.edited")) : null,
          m.removed ? h("span", {}, t("message.removed")) : null, delivery),
        h("div", { class: "text" }, m.text));
    }));
    if (atBottom) parts.conversation.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  function renderDrafts() {
    const supported = Array.isArray(detail.drafts) && !unsupported.has("drafts");
    parts.draft.hidden = !supported || detail.status === "resolved";
    if (!supported) { parts.drafts.hidden = true; return; }
    drafts.show(detail.drafts);
  }

  function renderNotes() {
    if (!changed(parts.notes, [detail.notes, detail.transfer])) return;
    fill(parts.notes, (detail.notes || []).map((n) =>
      h("li", {}, h("strong", {}, n.author), " ", h("span", { class: "muted" }, when(n.created_at),
        n.kind && n.kind !== "note" ? ` · ${t(`note.kind.${n.kind}`)}` : ""), h("div", { class: "text" }, n.text))));
    if (!(detail.notes || []).length) parts.notes.append(h("li", { class: "muted" }, t("note.none")));
    const transfer = detail.transfer;
    parts.handedOver.hidden = !transfer || transfer.to_agent !== me.id || detail.assignee !== me.id;
    if (transfer) fill(parts.handedOver, t("transfer.shown", { by: transfer.by }), " ", h("q", {}, transfer.note));
  }

  function renderTimeline() {
    if (!changed(parts.timeline, detail.timeline)) return;
    fill(parts.timeline, (detail.timeline || []).map((c) => h("li", {}, channelMark(c.channel, t), " ",
      t(`contact.${c.kind}`), " · ", when(c.at),
      c.inquiry_id && c.inquiry_id !== id ? [" · ", h("a", { href: `#/inquiry/${encodeURIComponent(c.inquiry_id)}`,
        onclick: (e) => { e.preventDefault(); onOpen(c.inquiry_id); } }, t("timeline.open"))] : null)));
    if (!(detail.timeline || []).length) parts.timeline.append(h("li", { class: "muted" }, t("timeline.none")));
  }

  function renderReplyControls() {
    const allowed = replyVisibilities(detail);
    const current = parts.visibility.querySelector("input:checked")?.value;
    if (changed(parts.visibility, allowed)) {
      const choice = allowed.includes(current) ? current : allowed[0];
      fill(parts.visibility, h("legend", {}, t("reply.visibility")), allowed.map((v) =>
        h("label", { class: "inline" }, h("input", { type: "radio", name: "reply-visibility", value: v, checked: v === choice,
          onchange: () => paintWindow() }), " ", t(`visibility.${v}`))));
    }
    parts.send.disabled = detail.status === "resolved";
    const oldRating = parts.csat.dataset.rated;
    const rated = detail.csat ? t("csat.shown", { score: detail.csat.score, nps: detail.csat.nps ?? "–" }) : t("csat.none");
    if (oldRating !== rated) { parts.csat.dataset.rated = rated; fill(parts.csat.querySelector("#csat-shown"), rated); }
    parts.csatForm.hidden = !lead || Boolean(detail.csat);
    if (!parts.toTeam.options.length && teams.length) {
      append(parts.toTeam, [h("option", { value: "" }, "–"), ...teams.map((team) => h("option", { value: team.id }, team.name))]);
    }
    paintWindow();
  }

  function append(element, children) { for (const c of children) element.append(c); }

  function paintWindow(now = Date.now()) {
    if (!detail || !parts) return;
    const visibility = parts.visibility.querySelector("input:checked")?.value || detail.visibility;
    const found = (detail.windows || {})[visibility];
    if (!found || found.name === "none") {
      parts.window.className = "window muted";
      parts.window.textContent = t("window.none");
      return;
    }
    const name = t(`window.${found.name}`);
    if (found.open && found.closes_at) {
      const left = (Date.parse(found.closes_at) - now) / 1000;
      if (left > 0) {
        parts.window.className = "window";
        parts.window.textContent = t("window.open", { name, left: duration(left) });
        return;
      }
    }
    parts.window.className = "window closed";
    const options = (found.options || []).map((o) => t(`option.${o}`)).join(", ");
    parts.window.textContent = t("window.closed", { name }) + (options ? ` ${t("error.options", { options })}` : "");
  }

  async function sendReply() {
    const text = parts.text.value.trim();
    if (!text) { say(t("reply.empty"), "error"); parts.text.focus(); return; }
    const visibility = parts.visibility.querySelector("input:checked")?.value;
    parts.send.disabled = true;
    const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    parts.approval.hidden = true;
    const result = await act(() => api.reply(id, { text, visibility, waiting: parts.waiting.checked, idempotency_key: key }),
      (r) => (r.status === "sent" ? t("done.sent") : t("done.failed", { error: r.error || "" })), needsApproval);
    parts.send.disabled = detail.status === "resolved";
    if (result && result.status === "sent") {
      parts.text.value = "";
      parts.waiting.checked = false;
      typed.delete(id);
    } else if (result && result.status === "failed") {
      parts.outcome.className = "error";
    }
  }

  // The reply route's 409 approval_required: nothing was sent; the typed text stays for the draft.
  function needsApproval(failure) {
    if (failure.status !== 409 || failure.reason !== "approval_required" || unsupported.has("drafts")) return false;
    const team = failure.approval && failure.approval.team;
    fill(parts.approval, team ? t("reply.needs_approval", { team: teamName(team) }) : t("reply.needs_approval_any"),
      " ", t("reply.save_as_draft"));
    parts.approval.hidden = false;
    say("");
    parts.draft.hidden = false;
    parts.draft.focus();
    return true;
  }

  async function saveDraft() {
    const text = parts.text.value.trim();
    if (!text) { say(t("reply.empty"), "error"); parts.text.focus(); return; }
    const visibility = parts.visibility.querySelector("input:checked")?.value;
    try {
      const saved = await api.draft(id, { text, visibility });
      parts.text.value = "";
      parts.approval.hidden = true;
      typed.delete(id);
      say(saved.status === "pending"
        ? t("done.drafted", { team: teamName(saved.approval && saved.approval.team) })
        : t("done.drafted_unapproved"));
      await refresh();
      onChanged();
    } catch (failure) {
      if (failure.noRoute) {
        unsupported.add("drafts");
        parts.draft.hidden = true;
        say(t("draft.unavailable"));
      } else if (failure.status !== 401) {
        sayError(failure);
      }
    }
  }

  async function addNote() {
    const text = parts.noteText.value.trim();
    if (!text) return;
    const done = await act(() => api.note(id, text), () => t("done.noted"));
    if (done) parts.noteText.value = "";
  }

  async function transferIt() {
    const body = { note: parts.transferNote.value.trim() };
    if (parts.toTeam.value) body.to_team = parts.toTeam.value;
    if (parts.toAgent.value.trim()) body.to_agent = parts.toAgent.value.trim();
    const done = await act(() => api.transfer(id, body), (r) => t("done.transferred", { agent: r.assignee || r.team || "" }));
    if (done) { parts.transferNote.value = ""; parts.toAgent.value = ""; parts.transfer.open = false; }
  }

  async function rate() {
    const body = { score: Number(parts.score.value) };
    if (parts.nps.value !== "") body.nps = Number(parts.nps.value);
    await act(() => api.csat(id, body), () => t("done.rated"));
  }

  async function refresh() {
    if (!id) return;
    const asked = id;
    try {
      const fresh = await api.inquiry(asked);
      if (asked !== id) return;
      detail = fresh;
      renderHeader();
      renderActions();
      renderConversation();
      renderDrafts();
      renderReplyControls();
      renderNotes();
      renderTimeline();
    } catch (failure) {
      if (failure.status === 401 || asked !== id) return;
      if (failure.status === 404) {
        fill(element, h("p", { class: "error", role: "alert" }, t("inquiry.gone")));
        id = null;
        return;
      }
      say(failure.message, "error");
    }
  }

  return {
    element,
    get id() { return id; },
    async show(next) {
      if (next === id) return refresh();
      id = next;
      detail = null;
      build();
      await refresh();
      return null;
    },
    refresh,
    tick(now = Date.now()) {
      if (!detail || !parts) return;
      const mark = parts.header.querySelector(".sla");
      if (mark) paintSla(mark, asItem(detail), t, now);
      paintWindow(now);
    },
  };
}
