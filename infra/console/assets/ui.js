// Building the page without HTML strings: every text, customer text above all, becomes a text node.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Replace what a container shows (never through innerHTML).
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

export const CHANNEL_MARKS = {
  facebook: "FB", messenger: "MSG", instagram: "IG", whatsapp: "WA", x: "X", email: "@",
};

export function channelMark(channel, t) {
  const name = t(`channel.${channel}`);
  return h("span", { class: "channel", title: name, "aria-label": name, role: "img" }, CHANNEL_MARKS[channel] || "?");
}

export function bandMark(priority, t) {
  if (!priority) return h("span", { class: "band band-P4" }, "–");
  const reasons = (priority.reasons || [])
    .map((r) => `${r.rule}${r.matched ? ` (${r.matched})` : ""} +${r.weight}`)
    .join("\n");
  const title = `${t("queue.score", { score: priority.score })}${reasons ? `\n${reasons}` : ""}`;
  return h("span", { class: `band band-${priority.band}`, title, tabindex: "0", "aria-label": `${priority.band}. ${title}` }, priority.band);
}

// "1 h 05 min" for an hour or more, "12:34" below, with a minus sign when overdue.
export function duration(seconds) {
  const sign = seconds < 0 ? "−" : "";
  let rest = Math.abs(Math.trunc(seconds));
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  if (hours >= 48) return `${sign}${Math.floor(hours / 24)} d ${hours % 24} h`;
  if (hours > 0) return `${sign}${hours} h ${String(minutes).padStart(2, "0")} min`;
  return `${sign}${minutes}:${String(secs).padStart(2, "0")}`;
}

// The SLA state of a queue item or a detail at `now`: ok, warning, breached, paused, answered, done.
export function slaState(item, now = Date.now()) {
  if (item.status === "resolved") return { state: "done" };
  if (item.sla_responded) return { state: "answered" };
  if (item.sla_paused) return { state: "paused" };
  if (!item.sla_due_at) return { state: "none" };
  const due = Date.parse(item.sla_due_at);
  const warn = item.sla_warn_at ? Date.parse(item.sla_warn_at) : null;
  const left = (due - now) / 1000;
  if (item.breached || left <= 0) return { state: "breached", left };
  if (warn !== null && now >= warn) return { state: "warning", left };
  return { state: "ok", left };
}

export function slaMark(item, t) {
  const element = h("span", { class: "sla", dataset: { due: item.sla_due_at || "" } });
  paintSla(element, item, t);
  return element;
}

export function paintSla(element, item, t, now = Date.now()) {
  const { state, left } = slaState(item, now);
  element.className = `sla sla-${state}`;
  element.dataset.state = state;
  const label = left === undefined ? t(`sla.${state}`) : duration(left);
  element.textContent = label;
  element.title = t(`sla.title.${state}`, { due: item.sla_due_at ? new Date(item.sla_due_at).toLocaleString() : "" });
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// JSON of what a section shows: re-render only when it changed, so focus and selection stay put.
const shown = new WeakMap();

export function changed(element, data) {
  const key = JSON.stringify(data);
  if (shown.get(element) === key) return false;
  shown.set(element, key);
  return true;
}
