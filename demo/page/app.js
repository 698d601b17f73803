// The demo Slack page: renders what the bot posted (Block Kit and mrkdwn, close enough to
// recognise) and sends what a person does to the stand-in, which signs it for the bot as
// Slack would. Plain browser JavaScript, no build step.
'use strict';

// Slack's emoji, drawn with symbols every system font has (a headless browser on a server
// has no colour-emoji font): status circles as dots, the rest as coloured symbols.
const DOT = { red_circle: '#e01e5a', large_orange_circle: '#e8912d', large_blue_circle: '#1d9bd1', large_green_circle: '#2eb67d' };
const SYMBOL = {
  warning: ['⚠', '#e8912d'], white_check_mark: ['✔', '#2eb67d'], x: ['✖', '#e01e5a'], heavy_multiplication_x: ['✖', '#616061'],
  octagonal_sign: ['■', '#e01e5a'], no_entry: ['⊘', '#e01e5a'], hourglass_flowing_sand: ['◴', '#e8912d'], gear: ['⚙', '#616061'],
  double_vertical_bar: ['‖', '#1d9bd1'], rotating_light: ['◉', '#e01e5a'], fire: ['▲', '#e8912d'], mag: ['⌕', '#616061'],
  grey_question: ['?', '#616061'], zzz: ['z', '#616061'], information_source: ['ℹ', '#1d9bd1'],
  memo: ['✎', '#616061'], technologist: ['★', '#1d9bd1'], pushpin: ['⚲', '#e01e5a'], mute: ['⊘', '#616061'], eyes: ['◉', '#616061'], tada: ['✱', '#e8912d'],
};
function emoji(whole, name) {
  if (DOT[name]) return `<span class="dot" style="background:${DOT[name]}" title=":${name}:"></span>`;
  const symbol = SYMBOL[name];
  return symbol ? `<span class="emoji" style="color:${symbol[1]}" title=":${name}:">${symbol[0]}</span>` : whole;
}

const view = { state: undefined, channel: 'C0PAYMENTS', thread: undefined, me: localStorage.getItem('demo-me') || 'U0ALICE', seen: {} };
const $ = (id) => document.getElementById(id);

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function userName(id) {
  const user = view.state?.users.find((u) => u.id === id);
  return user ? user.name : id === 'U0BOT' ? 'incident-bot' : id;
}

function channelName(id) {
  return view.state?.channels.find((c) => c.id === id)?.name ?? id;
}

/** Slack's special tokens: <@U..>, <#C..|name>, <!subteam^S..|@name>, <!here>, <!date^..|fallback>, <url|label>. */
function token(inner) {
  const [target, label] = inner.split(/\|(.*)/s);
  const unescaped = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  if (target.startsWith('@')) return `<span class="mention">@${esc(userName(target.slice(1)))}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${esc(label ?? channelName(target.slice(1)))}</span>`;
  if (target.startsWith('!subteam^')) return `<span class="mention">${esc(unescaped(label ?? `@${target.slice(9)}`))}</span>`;
  if (target.startsWith('!date^')) {
    const [, seconds, format = '{date_short} {time}'] = target.split('^');
    const date = new Date(Number(seconds) * 1000);
    if (Number.isNaN(date.getTime())) return esc(unescaped(label ?? ''));
    const parts = {
      date_short_pretty: date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
      date_short: date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' }),
      date: date.toLocaleDateString(undefined, { month: 'long', day: 'numeric', year: 'numeric' }),
      date_long: date.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }),
      time: date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }),
      time_secs: date.toLocaleTimeString(),
    };
    return esc(format.replace(/\{(\w+)\}/g, (whole, name) => parts[name] ?? whole));
  }
  if (target.startsWith('!')) return `<span class="mention">@${esc(target.slice(1))}</span>`;
  const url = unescaped(target);
  const safe = /^(https?:|mailto:)/i.test(url) ? url : '#';
  return `<a href="${esc(safe)}" target="_blank" rel="noopener">${esc(unescaped(label ?? url))}</a>`;
}

/** mrkdwn to HTML: tokens first (kept aside), then Slack's entities, then *bold* _italic_ ~strike~ `code` ```pre``` and > quotes. */
function mrkdwn(text) {
  const kept = [];
  const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
  let s = String(text).replace(/<([^<>]+)>/g, (_, inner) => keep(token(inner)));
  s = esc(s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${code}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  s = s.replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1<b>$2</b>');
  s = s.replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1<i>$2</i>');
  s = s.replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, '$1<s>$2</s>');
  s = s.replace(/^&gt; ?(.*)$/gm, '<blockquote>$1</blockquote>');
  s = s.replace(/:([a-z0-9_+-]+):/g, emoji);
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => kept[Number(i)]);
}

function textObject(t) {
  if (!t) return '';
  if (t.type === 'plain_text') return esc(t.text).replace(/:([a-z0-9_+-]+):/g, emoji);
  return mrkdwn(t.text);
}

function element(el, at) {
  const data = `data-channel="${esc(at.channel)}" data-ts="${esc(at.ts)}" data-block="${at.block}" data-element="${at.element}" data-action-id="${esc(el.action_id ?? '')}"`;
  if (el.type === 'button') {
    const style = el.style === 'primary' || el.style === 'danger' ? ` ${el.style}` : '';
    return `<button type="button" class="sk${style}" ${data}>${textObject(el.text)}</button>`;
  }
  if (el.type === 'static_select') {
    const options = (el.options ?? []).map((o) => `<option value="${esc(o.value)}">${esc(o.text?.text ?? o.value)}</option>`).join('');
    return `<select class="sk" ${data}><option value="" selected disabled>${esc(el.placeholder?.text ?? 'Choose…')}</option>${options}</select>`;
  }
  if (el.type === 'image') return `<img src="${esc(el.image_url)}" alt="${esc(el.alt_text ?? '')}" width="20" height="20">`;
  return textObject(el);
}

function blocks(message) {
  const list = message.blocks;
  if (!Array.isArray(list) || list.length === 0) return `<div class="mrkdwn">${mrkdwn(message.text)}</div>`;
  return list
    .map((b, block) => {
      const at = (index) => ({ channel: message.channel, ts: message.ts, block, element: index });
      switch (b.type) {
        case 'header':
          return `<div class="b-header">${textObject(b.text)}</div>`;
        case 'section': {
          const fields = b.fields ? `<div class="b-fields">${b.fields.map((f) => `<div class="mrkdwn">${textObject(f)}</div>`).join('')}</div>` : '';
          const accessory = b.accessory ? `<div>${element(b.accessory, at(-1))}</div>` : '';
          return `<div class="b-section"><div class="b-text"><div class="mrkdwn">${textObject(b.text)}</div>${fields}</div>${accessory}</div>`;
        }
        case 'context':
          return `<div class="b-context">${(b.elements ?? []).map((e, i) => `<span class="mrkdwn">${element(e, at(i))}</span>`).join('')}</div>`;
        case 'actions':
          return `<div class="b-actions">${(b.elements ?? []).map((e, i) => element(e, at(i))).join('')}</div>`;
        case 'divider':
          return '<hr class="b-divider">';
        default:
          return `<div class="note">(a ${esc(b.type)} block)</div>`;
      }
    })
    .join('');
}

/** A file shared through the upload flow: its name, and its text to read in place, as Slack previews a snippet. */
function fileHtml(f) {
  return `<details class="file" data-file="${esc(f.id)}"><summary><span class="file-icon">MD</span><span><b>${esc(f.title)}</b><span class="note">${esc(f.name)}</span></span></summary><pre>${esc(f.text)}</pre></details>`;
}

function visible(m) {
  return m.ephemeralTo === undefined || m.ephemeralTo === view.me;
}

function messageHtml(m, { inThread }) {
  const bot = m.user === 'U0BOT';
  const name = userName(m.user);
  const replies = inThread ? [] : view.state.messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts && r.ts !== m.ts && visible(r));
  const time = new Date(Number(m.ts) * 1000).toLocaleTimeString();
  return `<div class="message${m.ephemeralTo ? ' ephemeral' : ''}" data-ts="${esc(m.ts)}">
    <div class="avatar${bot ? '' : ' person'}">${esc(name.slice(0, 1).toUpperCase())}</div>
    <div class="body">
      <div><span class="who">${esc(name)}</span>${bot ? '<span class="app-badge">APP</span>' : ''}<span class="time">${esc(time)}</span>${m.edited ? '<span class="edited">(edited)</span>' : ''}</div>
      ${m.ephemeralTo ? '<div class="only-you">Only visible to you</div>' : ''}
      ${m.text || m.blocks?.length ? blocks(m) : ''}
      ${(m.files ?? []).map(fileHtml).join('')}
      ${replies.length > 0 ? `<button type="button" class="replies" data-thread="${esc(m.ts)}">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</button>` : ''}
    </div>
  </div>`;
}

function render() {
  const { state } = view;
  if (!state) return;
  const me = $('me');
  if (me.options.length === 0) {
    me.innerHTML = state.users.map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join('');
    me.value = view.me;
  }
  const topLevel = (channel) => state.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts) && visible(m));
  $('channels').innerHTML = state.channels
    .map((c) => {
      const unread = c.id === view.channel ? 0 : topLevel(c.id).length - (view.seen[c.id] ?? 0);
      const classes = [c.id === view.channel ? 'current' : '', c.archived ? 'archived' : ''].join(' ').trim();
      return `<a href="#" data-channel="${esc(c.id)}" class="${classes}"><span># ${esc(c.name)}</span>${unread > 0 ? `<span class="unread">${unread}</span>` : ''}</a>`;
    })
    .join('');
  const current = topLevel(view.channel);
  view.seen[view.channel] = current.length;
  const shownChannel = state.channels.find((c) => c.id === view.channel);
  $('channel-title').textContent = `# ${channelName(view.channel)}${shownChannel?.archived ? ' (archived)' : ''}`;
  $('channel-topic').textContent = shownChannel?.topic ?? '';
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.innerHTML = current.length > 0 ? current.map((m) => messageHtml(m, { inThread: false })).join('') : '<div class="empty">No messages yet. Fire a sample alert on the left.</div>';
  if (atBottom) list.scrollTop = list.scrollHeight;
  $('scenarios').innerHTML = (state.scenarios ?? []).map((s) => `<button type="button" data-scenario="${esc(s.name)}">${esc(s.title)}</button>`).join('');
  $('gitlab').innerHTML =
    (state.gitlab?.runs ?? []).map((r) => `<li>${esc(r.project)} ${esc(r.kind)} #${r.id}: <span class="status-${esc(r.status)}">${esc(r.status)}</span></li>`).join('') ||
    '<li>No job or pipeline started yet.</li>';
  const thread = $('thread');
  const parent = view.thread && state.messages.find((m) => m.channel === view.thread.channel && m.ts === view.thread.ts);
  thread.hidden = !parent;
  if (parent) {
    const replies = state.messages.filter((m) => m.channel === parent.channel && m.thread_ts === parent.ts && m.ts !== parent.ts && visible(m));
    const pane = $('thread-messages');
    const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40 || view.threadShown !== parent.ts;
    pane.innerHTML = [parent, ...replies].map((m) => messageHtml(m, { inThread: true })).join('');
    if (atBottom) pane.scrollTop = pane.scrollHeight;
    view.threadShown = parent.ts;
  }
}

let fetching = false;
let again = false;
async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    const res = await fetch('/ui/state');
    view.state = await res.json();
    render();
  } finally {
    fetching = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

async function send(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `the demo answered ${res.status}`);
  if (answer.status !== undefined && answer.status !== 200) throw new Error(`the bot answered ${answer.status}`);
  return answer;
}

function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  return new Promise((resolve) => {
    $('confirm-title').innerHTML = textObject(confirm.title);
    $('confirm-text').innerHTML = `<div class="mrkdwn">${textObject(confirm.text)}</div>`;
    $('confirm-ok').innerHTML = textObject(confirm.confirm ?? { type: 'plain_text', text: 'Confirm' });
    $('confirm-deny').innerHTML = textObject(confirm.deny ?? { type: 'plain_text', text: 'Cancel' });
    $('confirm').hidden = false;
    const done = (answer) => {
      $('confirm').hidden = true;
      $('confirm-ok').onclick = null;
      $('confirm-deny').onclick = null;
      resolve(answer);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-deny').onclick = () => done(false);
  });
}

function say(id, text) {
  $(id).textContent = text;
}

async function interact(el, option) {
  const { channel, ts, block, element: index } = el.dataset;
  const message = view.state.messages.find((m) => m.channel === channel && m.ts === ts);
  const blockJson = message?.blocks?.[Number(block)];
  const target = Number(index) === -1 ? blockJson?.accessory : blockJson?.elements?.[Number(index)];
  if (!(await confirmFirst(target?.confirm))) return;
  el.disabled = true;
  try {
    await send('/ui/click', { user: view.me, channel, ts, block: Number(block), element: Number(index), ...(option === undefined ? {} : { option }) });
  } catch (error) {
    say('composer-status', `Click not delivered: ${error.message}`);
  } finally {
    el.disabled = false;
  }
}

document.addEventListener('click', (event) => {
  const el = event.target.closest('button, a');
  if (!el) return;
  if (el.matches('button.sk[data-action-id]')) interact(el);
  else if (el.dataset.scenario) {
    say('alert-status', 'Sending…');
    send('/ui/alerts', { scenario: el.dataset.scenario }).then(
      (answer) => say('alert-status', answer.said),
      (error) => say('alert-status', error.message),
    );
  } else if (el.dataset.thread) {
    view.thread = { channel: view.channel, ts: el.dataset.thread };
    render();
  } else if (el.matches('#channels a')) {
    event.preventDefault();
    view.channel = el.dataset.channel;
    view.thread = undefined;
    render();
  } else if (el.id === 'thread-close') {
    view.thread = undefined;
    render();
  }
});

document.addEventListener('change', (event) => {
  const el = event.target;
  if (el.matches('select.sk[data-action-id]') && el.value) interact(el, el.value);
  if (el.id === 'me') {
    view.me = el.value;
    localStorage.setItem('demo-me', view.me);
    render();
  }
});

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('command').value.trim();
  if (!text.startsWith('/')) {
    say('composer-status', 'The bot listens to slash commands only: start with /, such as /incident list');
    return;
  }
  say('composer-status', `Sent ${text.split(/\s/)[0]} as ${userName(view.me)}`);
  send('/ui/command', { user: view.me, channel: view.channel, text }).then(
    () => ($('command').value = ''),
    (error) => say('composer-status', `Not delivered: ${error.message}`),
  );
});

new EventSource('/ui/events').addEventListener('change', () => refresh());
