/** Prometheus's graph page showing a query, on its graph tab, so a verdict can be checked by eye. */
export function graphLink(baseUrl: string, query: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=0`;
}
