// App-wide state shared by the screens: who is using Quiver, the library's status,
// indexing progress, the deal being prepared for, and short notices.

import { api, errorText, type IndexProgress, type Status } from "./api";

export type Screen = "search" | "record" | "insights" | "library" | "settings";

export const app = $state({
  screen: "search" as Screen,
  status: null as Status | null,
  progress: null as IndexProgress | null,
  /** Ties opens to a deal ("preparing for deal ..."). */
  dealId: "",
  anonymize: localStorage.getItem("quiver.anonymize") === "1",
  notices: [] as { id: number; text: string; kind: "info" | "error" }[],
  /** Bumped whenever an index run or a recorded event changes what screens show. */
  generation: 0,
});

let nextNotice = 1;

export function notify(text: string, kind: "info" | "error" = "info") {
  const id = nextNotice++;
  app.notices.push({ id, text, kind });
  setTimeout(() => {
    app.notices = app.notices.filter((n) => n.id !== id);
  }, kind === "error" ? 9000 : 4000);
}

export function fail(e: unknown) {
  notify(errorText(e), "error");
}

export async function refreshStatus() {
  try {
    app.status = await api.status();
  } catch (e) {
    fail(e);
  }
}

/** "1 file", "3 files". */
export function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
