/**
 * The part of a retrospective issue's description the bot owns: the draft between two HTML
 * comments (GitLab shows neither). People may write above and below it in GitLab; a
 * regenerate replaces only what is between them. The opening comment also names the incident
 * uniquely (the deployment's Redis key prefix, the incident's id and when it opened), since
 * incident ids restart after a Redis reset and two deployments may file into one project: an
 * issue is taken for an incident's only when it carries that exact comment.
 */

/** `key`: the deployment's key prefix, the incident's id and when it opened, e.g. `chatops:/42/2026-11-22T09:58:00.000Z`. */
export function retroSectionMarkers(key: string): { begin: string; end: string } {
  // Percent-encoded, so no key can end the comment early (`>`) or read differently in another deployment.
  const safe = encodeURIComponent(key);
  return { begin: `<!-- chatops-retro: ${safe} -->`, end: `<!-- chatops-retro end: ${safe} -->` };
}

/** Whether a description carries the bot's section of this incident (its opening comment, exactly). */
export function hasRetroSection(description: string | null | undefined, key: string): boolean {
  return (description ?? '').includes(retroSectionMarkers(key).begin);
}

/**
 * `current` with the bot's section replaced by `draft`, and everything people wrote around it
 * kept. When the comments are gone (someone removed either), a fresh section is appended:
 * the text that was the bot's may be people's now, and is not overwritten.
 */
export function withRetroSection(current: string | null | undefined, key: string, draft: string): string {
  const { begin, end } = retroSectionMarkers(key);
  const section = `${begin}\n${draft}\n${end}`;
  const text = current ?? '';
  if (text.trim() === '') return section;
  // The last opening comment: one left behind by a removed end comment is followed by a newer, whole section.
  const from = text.lastIndexOf(begin);
  const to = from < 0 ? -1 : text.indexOf(end, from + begin.length);
  if (to < 0) return `${text.trimEnd()}\n\n${section}`;
  return `${text.slice(0, from)}${section}${text.slice(to + end.length)}`;
}
