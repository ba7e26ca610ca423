// For leads: the agents of the teams they lead with status and caseload, and those teams' open inquiries,
// breached first, then escalated, then as the queue ranks them (most urgent first).

import { h, fill, channelMark, bandMark, slaMark, paintSla } from "./ui.js";

export function rank(items) {
  const weight = (i) => (i.breached ? 0 : (i.sla_tier || 0) > 0 ? 1 : 2);
  return items.map((item, index) => ({ item, index }))
    .sort((a, b) => weight(a.item) - weight(b.item) || a.index - b.index)
    .map(({ item }) => item);
}

export function createTeam({ api, t, me, onOpen }) {
  const agents = h("tbody", { id: "team-agents" });
  const urgent = h("tbody", { id: "team-inquiries" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const statuses = ["online", "away", "offline"];
  const element = h("section", { class: "card", "aria-labelledby": "team-heading" },
    h("h1", { id: "team-heading" }, t("team.title")), error,
    h("h2", {}, t("team.inquiries")),
    h("table", { "aria-label": t("team.inquiries") }, h("thead", {}, h("tr", {},
      [t("team.col.channel"), t("team.col.band"), t("team.col.customer"), t("team.col.state"), t("team.col.assignee"), t("team.col.sla")]
        .map((c) => h("th", { scope: "col" }, c)))), urgent),
    h("h2", {}, t("team.agents")),
    h("table", { "aria-label": t("team.agents") }, h("thead", {}, h("tr", {},
      [t("team.col.agent"), t("team.col.teams"), t("team.col.status"), t("team.col.caseload"), t("team.col.channels")]
        .map((c) => h("th", { scope: "col" }, c)))), agents));
  let shownItems = [];

  async function refresh() {
    try {
      const [teamPage, agentPage] = await Promise.all([api.teams(), api.agents()]);
      const led = me.groups.includes("admins")
        ? teamPage.items.map((team) => team.id)
        : teamPage.items.filter((team) => team.lead === me.id).map((team) => team.id);
      const pages = await Promise.all(led.map((team) => api.queue({ team, status: "open", limit: "100" })));
      shownItems = rank(pages.flatMap((p) => p.items));
      error.hidden = true;
      fill(urgent, shownItems.map((item) => h("tr", { dataset: { id: item.id, breached: String(Boolean(item.breached)) } },
        h("td", {}, channelMark(item.channel, t)), h("td", {}, bandMark(item.priority, t)),
        h("td", {}, h("a", { href: `#/inquiry/${encodeURIComponent(item.id)}`, onclick: (e) => { e.preventDefault(); onOpen(item.id); } },
          item.author.name || item.author.handle || item.author.id)),
        h("td", {}, item.breached ? h("strong", { class: "failed" }, t("team.breached")) : (item.sla_tier || 0) > 0 ? t("team.escalated") : t(`status.${item.status}`)),
        h("td", {}, item.assignee || t("queue.unassigned")), h("td", {}, slaMark(item, t)))));
      if (!shownItems.length) urgent.append(h("tr", {}, h("td", { colspan: "6", class: "muted" }, t("queue.empty"))));
      const ours = agentPage.items.filter((a) => me.groups.includes("admins") || a.teams.some((team) => led.includes(team)));
      fill(agents, ours.map((agent) => h("tr", { dataset: { agent: agent.id } },
        h("td", {}, agent.name, h("span", { class: "muted" }, ` (${agent.id})`)), h("td", {}, agent.teams.join(", ")),
        h("td", {}, h("select", { "aria-label": t("team.set_status", { agent: agent.name }),
          onchange: (e) => api.setStatus(agent.id, e.target.value).then(refresh).catch((f) => { fill(error, f.message); error.hidden = false; }) },
          statuses.map((s) => h("option", { value: s, selected: s === agent.status }, t(`agent.${s}`))))),
        h("td", {}, `${agent.open_caseload} / ${agent.max_concurrent}`),
        h("td", {}, (agent.skills.channels.length ? agent.skills.channels : [t("team.all_channels")]).join(", ")))));
    } catch (failure) {
      if (failure.status === 401) return;
      fill(error, failure.status === 403 ? t("team.leads_only") : failure.message);
      error.hidden = false;
    }
  }

  return {
    element,
    refresh,
    tick(now = Date.now()) {
      urgent.querySelectorAll("tr[data-id]").forEach((row, index) => {
        const mark = row.querySelector(".sla");
        if (mark && shownItems[index]) paintSla(mark, shownItems[index], t, now);
      });
    },
  };
}
