/**
 * Roles and severity through Bolt's real HTTP receiver: `/incident commander` with a mention
 * as Slack escapes it, the "I'll lead" button, `/incident severity` and `/incident note`.
 * Each change is stored, shown on the incident message, and said in its thread.
 */
import { describe, expect, it } from 'vitest';
import { blockText, buttonsOf, buttonValue, click, clickForReply, openIncident, postSigned, rigForFile, slash, threadReply } from '../support/slack-session.js';
import { buttonClickForm } from '../support/slack-signing.js';
import { audit, incidentTimeline, storedIncident } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const r = rigForFile();

/** The first update of the incident's message whose blocks contain `text`. */
function updateShowing(on: { ts: string }, text: string) {
  return found(() => r.slack.callsTo('chat.update').find((c) => c.params.ts === on.ts && blockText(c).includes(text)), {
    timeoutMs: 10_000,
    message: `no update of ${on.ts} showing ${text}`,
  });
}

describe('the commander', () => {
  it('/incident commander with a mention picked from the autocomplete names them: stored, on the message, on the timeline and in the thread', async () => {
    const message = await openIncident(r);
    const reply = await slash(r, '/incident', `commander INC-${message.id} <@U0CAROL|carol>`, 'U0ALICE');
    expect(String(reply.text)).toContain(`INC-${message.id}`);
    expect(reply.response_type).toBe('in_channel');

    expect((await storedIncident(r, message.id)).doc).toMatchObject({ commander: 'U0CAROL' });
    expect(buttonsOf(message.post).has('incident.lead')).toBe(true);
    const update = await updateShowing(message, '*Commander*\n<@U0CAROL>');
    expect(update.params.channel).toBe(message.channel);
    // Once someone leads, a hand-over goes through the command: no button to take command by a stray click.
    expect(buttonsOf(update).has('incident.lead')).toBe(false);
    expect(await incidentTimeline(r, message.id)).toContainEqual(
      expect.objectContaining({
        kind: 'commander',
        commander: 'U0CAROL',
        actor: 'U0ALICE',
        rendered: expect.stringContaining('<@U0CAROL> leads the incident'),
      }),
    );
    await threadReply(r, message, '<@U0CAROL> leads the incident');
  });

  it("the I'll lead button makes the clicker commander; a later change says who led before", async () => {
    const message = await openIncident(r);
    expect(await click(r, 'incident.lead', buttonValue(message.post, 'incident.lead'), 'U0BOB', message)).toBe(200);
    await waitFor(async () => (await storedIncident(r, message.id)).doc.commander === 'U0BOB', { message: 'U0BOB is not the commander' });
    await updateShowing(message, '*Commander*\n<@U0BOB>');
    await threadReply(r, message, '<@U0BOB> leads the incident');

    await slash(r, '/incident', `commander ${message.id} <@U0DAVE>`, 'U0BOB');
    await updateShowing(message, '*Commander*\n<@U0DAVE>');
    const changes = (await incidentTimeline(r, message.id)).filter((e) => e.kind === 'commander');
    expect(changes).toEqual([
      expect.objectContaining({ commander: 'U0BOB', actor: 'U0BOB' }),
      expect.objectContaining({ commander: 'U0DAVE', previous: 'U0BOB', actor: 'U0BOB', rendered: expect.stringContaining('(was <@U0BOB>)') }),
    ]);
  });

  it('a plain @name is refused with a pointer to the autocomplete, and nothing changes', async () => {
    const message = await openIncident(r);
    const reply = await slash(r, '/incident', `commander INC-${message.id} @carol`);
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain("pick the person from Slack's autocomplete");
    expect((await storedIncident(r, message.id)).doc.commander).toBeUndefined();
  });

  it("clicking I'll lead while leading already changes nothing", async () => {
    const message = await openIncident(r);
    const value = buttonValue(message.post, 'incident.lead');
    await click(r, 'incident.lead', value, 'U0BOB', message);
    await waitFor(async () => (await storedIncident(r, message.id)).doc.commander === 'U0BOB', { message: 'U0BOB is not the commander' });
    const before = await storedIncident(r, message.id);
    const leads = async () => (await audit(r)).filter((e) => e.action === 'incident.lead' && e.incidentId === message.id);
    await waitFor(async () => (await leads()).length === 1, { message: 'the first click is not audited' });
    await click(r, 'incident.lead', value, 'U0BOB', message);
    // The audit entry is written once the click's work is done.
    await waitFor(async () => (await leads()).length === 2, { message: 'the second click is not audited' });
    expect((await storedIncident(r, message.id)).version).toBe(before.version);
    expect((await incidentTimeline(r, message.id)).filter((e) => e.kind === 'commander')).toHaveLength(1);
  });
});

describe("I'll lead never takes command from someone who leads", () => {
  it('two people clicking at once: one leads, the other is told who does and how to hand over', async () => {
    const message = await openIncident(r);
    const value = buttonValue(message.post, 'incident.lead');
    const clickBy = (user: string) => postSigned(r, buttonClickForm('incident.lead', value, r.slack.responseUrl(`lead-${message.id}-${user}`), user, message));
    expect(await Promise.all([clickBy('U0BOB'), clickBy('U0CAROL')])).toEqual([200, 200]);

    const answer = await found(() => r.slack.callsTo('response_url').find((c) => c.responseId?.startsWith(`lead-${message.id}-`)), {
      message: 'neither clicker was told anything',
    });
    const commander = (await storedIncident(r, message.id)).doc.commander;
    const refused = answer.responseId === `lead-${message.id}-U0BOB` ? 'U0BOB' : 'U0CAROL';
    expect(commander).toBe(refused === 'U0BOB' ? 'U0CAROL' : 'U0BOB');
    expect(answer.params).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.params.text)).toContain(`<@${commander}> leads INC-${message.id} already`);
    expect(String(answer.params.text)).toContain(`/incident commander INC-${message.id} @person`);
    const leads = async () => (await audit(r)).filter((e) => e.action === 'incident.lead' && e.incidentId === message.id);
    await waitFor(async () => (await leads()).length === 2, { message: 'both clicks are not audited' });
    expect((await incidentTimeline(r, message.id)).filter((e) => e.kind === 'commander')).toEqual([expect.objectContaining({ commander })]);
    expect(r.slack.callsTo('response_url').filter((c) => c.responseId?.startsWith(`lead-${message.id}-`))).toHaveLength(1);
  });

  it('a click on a copy still showing the button, after someone leads, is refused and the commander stays', async () => {
    const message = await openIncident(r);
    await slash(r, '/incident', `commander INC-${message.id} <@U0CAROL|carol>`, 'U0ALICE');
    const reply = await clickForReply(r, 'incident.lead', buttonValue(message.post, 'incident.lead'), 'U0BOB', message);
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.text)).toContain(`<@U0CAROL> leads INC-${message.id} already`);
    expect((await storedIncident(r, message.id)).doc.commander).toBe('U0CAROL');
    expect((await incidentTimeline(r, message.id)).filter((e) => e.kind === 'commander')).toHaveLength(1);
  });
});

describe('the severity', () => {
  it('/incident severity overrides the alert’s: on the message, with the previous severity on the timeline and in the thread', async () => {
    const message = await openIncident(r);
    const reply = await slash(r, '/incident', `severity INC-${message.id} WARNING`, 'U0ALICE');
    expect(String(reply.text)).toContain('warning');
    expect((await storedIncident(r, message.id)).doc).toMatchObject({ severityOverride: 'warning' });
    await updateShowing(message, '*Severity*\nwarning (set by hand)');
    const [entry] = (await incidentTimeline(r, message.id)).filter((e) => e.kind === 'severity');
    expect(entry).toMatchObject({ severity: 'warning', previous: 'critical', actor: 'U0ALICE' });
    await threadReply(r, message, 'set the severity to *warning* (was critical)');
  });

  it('refuses a severity it does not know, naming the ones it does', async () => {
    const message = await openIncident(r);
    const reply = await slash(r, '/incident', `severity ${message.id} sev1`);
    expect(String(reply.text)).toContain('"sev1" is not a severity; use critical, warning, info');
    expect((await storedIncident(r, message.id)).doc.severityOverride).toBeUndefined();
  });
});

describe('notes', () => {
  it('/incident note adds the text as written to the timeline; the thread shows it escaped', async () => {
    const message = await openIncident(r);
    // As Slack sends it with escaping on: entities for & < >, and a mention as <@id|name>.
    await slash(r, '/incident', `note INC-${message.id} restarted db-1 &amp; cleared &lt;cache&gt;, ask <@U0BOB|bob> <!channel>`, 'U0ALICE');
    const [entry] = (await incidentTimeline(r, message.id)).filter((e) => e.kind === 'note');
    expect(entry).toMatchObject({ actor: 'U0ALICE', note: 'restarted db-1 & cleared <cache>, ask @bob @channel' });
    const reply = await threadReply(r, message, 'Note by <@U0ALICE>');
    expect(String(reply.params.text)).toContain('restarted db-1 &amp; cleared &lt;cache&gt;, ask @bob @channel');
    expect(String(reply.params.text)).not.toContain('<!channel>');
  });

  it('refuses a note over the limit, saying how long it is and what the limit is', async () => {
    const message = await openIncident(r);
    const reply = await slash(r, '/incident', `note ${message.id} ${'x'.repeat(2_001)}`);
    expect(String(reply.text)).toContain('the note is 2001 characters; a note holds at most 2000');
    expect((await incidentTimeline(r, message.id)).filter((e) => e.kind === 'note')).toEqual([]);
  });

  it('refuses a note for an incident that does not exist', async () => {
    const reply = await slash(r, '/incident', 'note INC-99999999 hello');
    expect(String(reply.text)).toMatch(/99999999/);
  });
});
