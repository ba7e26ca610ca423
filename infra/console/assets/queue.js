// The queue: one list across channels, most urgent first as the API ranks it, with filters. Polling
// updates the rows in place (keyed by inquiry id), so selection, scroll and focus stay where they were.

import { h, fill, channelMark, bandMark, slaMark, paintSla } from "./ui.js";

const CHANNELS = ["facebook", "messenger", "instagram", "whatsapp", "x", "email"];
const BANDS = ["P1", "P2", "P3", "P4"];
const STATUSES = ["open", "new", "queued", "assigned", "waiting", "resolved"];
const PAGE = 50;

export function createQueue({ api, t, onOpen }) {
  const filters = { mine: false, team: "", channel: "", band: "", status: "open", breached: false };
  const rows = new Map();
  let items = [];
  let selected = null;
  let next = null;

  const error = h("p", { class: "error", role: "alert", hidden: true });
  const count = h("span", { class: "muted", id: "queue-count" });
  const list = h("ul", { class: "queue-list", id: "queue-list", "aria-label": t("queue.title") });
  const more = h("button", { type: "button", hidden: true, onclick: () => load(true) }, t("queue.more"));
  const teamSelect = select("filter-team", t("filter.team"), [["", t("filter.all_teams")]], (v) => set("team", v));

  function select(id, label, options, change) {
    const element = h("select", { id, onchange: (e) => change(e.target.value) },
      options.map(([value, text]) => h("option", { value }, text)));
    return h("label", { class: "inline" }, label, " ", element);
  }

  function checkbox(id, label, key) {
    return h("label", { class: "inline" },
      h("input", { type: "checkbox", id, onchange: (e) => set(key, e.target.checked) }), " ", label);
  }

  function set(key, value) {
    filters[key] = value;
    rows.clear();
    list.replaceChildren();
    load();
  }

  const element = h("section", { class: "card", "aria-labelledby": "queue-heading" },
    h("h1", { id: "queue-heading" }, t("queue.title"), " ", count),
    h("div", { class: "filters", role: "group", "aria-label": t("filter.title") },
      checkbox("filter-mine", t("filter.mine"), "mine"),
      teamSelect,
      select("filter-channel", t("filter.channel"), [["", t("filter.all")], ...CHANNELS.map((c) => [c, t(`channel.${c}`)])], (v) => set("channel", v)),
      select("filter-band", t("filter.band"), [["", t("filter.all")], ...BANDS.map((b) => [b, b])], (v) => set("band", v)),
      select("filter-status", t("filter.status"), STATUSES.map((s) => [s, t(`status.${s}`)]), (v) => set("status", v)),
      checkbox("filter-breached", t("filter.breached"), "breached")),
    error, list, more);

  api.teams().then(({ items: teams }) => {
    const box = teamSelect.querySelector("select");
    for (const team of teams) box.append(h("option", { value: team.id }, team.name));
  }).catch(() => {});

  function query(cursor) {
    return {
      assignee: filters.mine ? "me" : "",
      team: filters.team,
      channel: filters.channel,
      band: filters.band,
      status: filters.status,
      breached: filters.breached ? "true" : "",
      limit: String(Math.min(100, Math.max(PAGE, cursor ? PAGE : items.length))),
      cursor: cursor || "",
    };
  }

  async function load(append = false) {
    try {
      const page = await api.queue(query(append ? next : null));
      error.hidden = true;
      items = append ? [...items, ...page.items.filter((i) => !rows.has(i.id))] : page.items;
      next = page.next;
      render();
    } catch (failure) {
      if (failure.status === 401) return;
      fill(error, failure.message);
      error.hidden = false;
    }
  }

  function row(item) {
    const link = h("a", { href: `#/inquiry/${encodeURIComponent(item.id)}`, dataset: { id: item.id },
      onclick: (event) => { event.preventDefault(); onOpen(item.id); } });
    const li = h("li", { dataset: { id: item.id } }, link);
    rows.set(item.id, { li, link, shown: "" });
    return li;
  }

  function paint(entry, item) {
    const key = JSON.stringify(item);
    entry.link.setAttribute("aria-current", item.id === selected ? "true" : "false");
    if (entry.shown === key) return;
    entry.shown = key;
    entry.item = item;
    const who = item.author.name || item.author.handle || item.author.id;
    fill(entry.link,
      channelMark(item.channel, t),
      bandMark(item.priority, t),
      h("span", {},
        item.sender_verified === false ? h("span", { class: "pill unverified", dataset: { role: "unverified" },
          title: t("sender.unverified_hint") }, t("sender.unverified")) : null,
        h("span", { class: "excerpt", dataset: { role: "text" } }, item.text),
        h("br"),
        h("span", { class: "meta" }, who, " · ", t(`status.${item.status}`),
          " · ", item.assignee ? t("queue.assignee", { agent: item.assignee }) : t("queue.unassigned"),
          item.team ? ` · ${item.team}` : "", item.visibility === "private" ? ` · ${t("visibility.private")}` : "")),
      slaMark(item, t));
  }

  function render() {
    const seen = new Set(items.map((i) => i.id));
    for (const [id, entry] of rows) {
      if (!seen.has(id)) { entry.li.remove(); rows.delete(id); }
    }
    let previous = null;
    for (const item of items) {
      const entry = rows.get(item.id) || (row(item), rows.get(item.id));
      paint(entry, item);
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== entry.li) list.insertBefore(entry.li, expected);
      previous = entry.li;
    }
    count.textContent = t("queue.count", { n: items.length });
    more.hidden = !next;
    if (!items.length) {
      if (!list.querySelector(".empty")) list.append(h("li", { class: "empty muted" }, t("queue.empty")));
    } else {
      list.querySelector(".empty")?.remove();
    }
  }

  return {
    element,
    refresh: () => load(),
    tick(now = Date.now()) {
      for (const entry of rows.values()) {
        const mark = entry.link.querySelector(".sla");
        if (mark && entry.item) paintSla(mark, entry.item, t, now);
      }
    },
    select(id) {
      selected = id;
      for (const [key, entry] of rows) entry.link.setAttribute("aria-current", key === id ? "true" : "false");
    },
  };
}
