#!/usr/bin/env node
// A thin launcher around the npm package telegram-test-api (unchanged) that
// makes it answer like Telegram's Bot API where the package does not, so the
// real bot can run against it unmodified. Our routes sit in front of the
// package's own:
//   - getMe gains is_bot;
//   - setMyCommands, deleteMyCommands, sendChatAction, setChatMenuButton answer true
//     (the package answers 500);
//   - getUpdates honours offset and timeout (long polling) instead of busy polling,
//     and callback queries get chat_instance;
//   - sendMessage and editMessageText answer with objects where the request had
//     JSON strings (link_preview_options...), date in seconds and a `from`;
//   - sendVenue and sendLocation (the package has neither) store the message like
//     sendMessage, with Telegram's venue/location objects, and answer with it;
//   - editMessageText and editMessageReplyMarkup return the edited message and
//     answerCallbackQuery true
//     (the package returns null);
//   - unknown methods answer Telegram's 404 instead of 500;
//   - webhook deliveries carry X-Telegram-Bot-Api-Secret-Token when one was set;
//   - getChatAdministrators (the package has none) answers with the admins set below.
// Test-only client routes (fault injection, group admins, an audit of what was delivered):
//   - POST /faults {chatId, kind, count, retryAfter, hangMs}: the next `count`
//     sendMessage calls for that chat answer 429 (with retry_after), 403
//     (blocked), 400 ("chat not found"), 500, or hang (no answer, nothing
//     stored, the connection dropped after hangMs); POST /faults {} clears all;
//   - POST /admins {chatId, userIds}: the administrators of a group chat;
//   - POST /deliveries: every sendMessage that was stored, in order:
//     {chat_id, text, at} (at: ms, sub-millisecond precision); with {from: n}
//     only those from the n-th on (a load test reads them as they come).
// Usage: node launcher.js [port]   (prints "listening <port>" when ready)
'use strict';

const http = require('http');
const express = require('express');
const axios = require('axios');
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2] || process.env.PORT || 9000);
const host = '127.0.0.1';
const emulator = new TelegramServer({ port, host, storeTimeout: 600 });
const secrets = {};

// Webhook deliveries with the secret-token header (the package's own omits it).
emulator.addUserUpdate = async function addUserUpdate(update) {
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    const headers = {};
    if (secrets[update.botToken]) headers['X-Telegram-Bot-Api-Secret-Token'] = secrets[update.botToken];
    const resp = await axios({ url: webhook.url, method: 'POST', headers, data: TelegramServer.formatUpdate(update), validateStatus: () => true });
    if (resp.status > 204) throw new Error(`Webhook invocation failed with HTTP ${resp.status}`);
  } else {
    this.storage.userMessages.push(update);
  }
  this.updateId++;
};

const app = express();
app.use(express.json());
app.use(express.urlencoded({ extended: true }));

const ok = (res, result) => res.json({ ok: true, result });
// Form-encoded requests carry objects as JSON strings; Telegram answers with objects.
const JSON_FIELDS = ['reply_markup', 'entities', 'link_preview_options'];
const decoded = (body) => {
  const out = { ...body };
  for (const key of JSON_FIELDS) {
    if (typeof out[key] === 'string') {
      try { out[key] = JSON.parse(out[key]); } catch (e) { /* leave as sent */ }
    }
  }
  return out;
};
const param = (req, name) => (req.body && req.body[name] !== undefined ? req.body[name] : req.query[name]);

app.all('/bot:token/getMe', (req, res) => ok(res, {
  id: 666, is_bot: true, first_name: 'Saual Test', username: 'SaualTestBot',
  can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
}));

for (const method of ['setMyCommands', 'deleteMyCommands', 'sendChatAction', 'setChatMenuButton']) {
  app.all(`/bot:token/${method}`, (req, res) => ok(res, true));
}

app.all('/bot:token/answerCallbackQuery', (req, res) => ok(res, true));

// Group administrators (the package keeps no members): the test client sets them
// with POST /admins {chatId, userIds}; getChatAdministrators answers with them,
// the first as the group's creator.
const admins = {};
app.post('/admins', (req, res) => {
  const { chatId, userIds = [] } = req.body || {};
  admins[String(chatId)] = userIds.map(Number);
  ok(res, true);
});
const RIGHTS = {
  can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
  can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
  can_change_info: true, can_invite_users: true, can_post_stories: false,
  can_edit_stories: false, can_delete_stories: false, can_send_welcome_messages: false,
};
app.all('/bot:token/getChatAdministrators', (req, res) => ok(res,
  (admins[String(param(req, 'chat_id'))] || []).map((id, i) => ({
    status: i === 0 ? 'creator' : 'administrator',
    user: { id, is_bot: false, first_name: 'Admin' },
    ...(i === 0 ? { is_anonymous: false } : RIGHTS),
  }))));

const faults = {};
const deliveries = [];
app.post('/faults', (req, res) => {
  const { chatId, kind, count = 1, retryAfter = 1, hangMs = 30000 } = req.body || {};
  if (chatId === undefined) { Object.keys(faults).forEach((k) => delete faults[k]); ok(res, true); return; }
  faults[String(chatId)] = { kind, count: Number(count), retryAfter: Number(retryAfter), hangMs: Number(hangMs) };
  ok(res, true);
});
app.post('/deliveries', (req, res) => ok(res, deliveries.slice(Number((req.body || {}).from || 0))));

function injectFault(chatId, res) {
  const fault = faults[String(chatId)];
  if (!fault || fault.count <= 0) return false;
  fault.count -= 1;
  const fail = (code, description, extra) => res.status(code).json({ ok: false, error_code: code, description, ...extra });
  switch (fault.kind) {
    case '429': fail(429, `Too Many Requests: retry after ${fault.retryAfter}`, { parameters: { retry_after: fault.retryAfter } }); break;
    case '403': fail(403, 'Forbidden: bot was blocked by the user'); break;
    case '400': fail(400, 'Bad Request: chat not found'); break;
    case '500': fail(500, 'Internal Server Error'); break;
    case 'hang': setTimeout(() => res.socket && res.socket.destroy(), fault.hangMs); break;
    default: fail(500, `unknown fault ${fault.kind}`);
  }
  return true;
}

app.all('/bot:token/sendMessage', (req, res) => {
  const body = decoded(req.body);
  if (injectFault(body.chat_id, res)) return;
  const msg = emulator.addBotMessage(body, req.params.token);
  deliveries.push({ chat_id: Number(body.chat_id), text: body.text, at: performance.timeOrigin + performance.now() });
  ok(res, { ...msg, date: Math.floor(msg.date / 1000), from: { id: 666, is_bot: true, first_name: 'Saual Test' } });
});

// A map pin: stored as a bot message (the client sees it in getUpdates) with
// Telegram's own shape, since the package knows neither method.
const BOT_FROM = { id: 666, is_bot: true, first_name: 'Saual Test' };
function pin(kind) {
  return (req, res) => {
    const body = decoded(req.body);
    const location = { latitude: Number(body.latitude), longitude: Number(body.longitude) };
    const message = { chat_id: body.chat_id, location };
    if (kind === 'venue') {
      message.venue = { location, title: body.title, address: body.address };
    }
    if (body.reply_markup) message.reply_markup = body.reply_markup;
    const msg = emulator.addBotMessage(message, req.params.token);
    ok(res, { ...msg, text: undefined, date: Math.floor(msg.date / 1000), from: BOT_FROM });
  };
}
app.all('/bot:token/sendVenue', pin('venue'));
app.all('/bot:token/sendLocation', pin('location'));

// Edits answer with the edited message (the package answers null), and the
// client sees an edited message again as unread.
function edit(method) {
  return (req, res) => {
    const message = decoded(req.body);
    const stored = emulator.storage.botMessages.find((u) => String(u.messageId) === String(message.message_id)
      && String(u.message.chat_id) === String(message.chat_id));
    if (!stored) {
      res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
      return;
    }
    emulator[method](message);
    stored.isRead = false;
    ok(res, {
      ...stored.message, message_id: stored.messageId, date: Math.floor(stored.time / 1000),
      chat: { id: Number(stored.message.chat_id), type: 'private', first_name: 'User' },
      from: { id: 666, is_bot: true, first_name: 'Saual Test' },
    });
  };
}
app.all('/bot:token/editMessageText', edit('editMessageText'));
app.all('/bot:token/editMessageReplyMarkup', edit('editMessageReplyMarkup'));

function formatted(update) {
  const out = TelegramServer.formatUpdate(update);
  if (out.callback_query) out.callback_query.chat_instance = String(update.callbackQuery.from.id);
  if (out.message && out.message.date > 1e11) out.message.date = Math.floor(out.message.date / 1000);
  return out;
}

app.all('/bot:token/getUpdates', (req, res) => {
  const token = req.params.token;
  const offset = Number(param(req, 'offset') || 0);
  const timeout = Math.min(Number(param(req, 'timeout') || 0), 50);
  // Updates below the offset are confirmed: drop them, as Telegram does.
  emulator.storage.userMessages = emulator.storage.userMessages.filter(
    (u) => u.botToken !== token || u.updateId >= offset);
  const pending = () => emulator.storage.userMessages.filter((u) => u.botToken === token && u.updateId >= offset);
  const reply = () => ok(res, pending().map(formatted));
  if (pending().length || timeout <= 0) { reply(); return; }
  const events = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    events.forEach((e) => emulator.off(e, finish));
    reply();
  };
  const timer = setTimeout(finish, timeout * 1000);
  events.forEach((e) => emulator.on(e, finish));
  res.on('close', () => { if (!done) { done = true; clearTimeout(timer); events.forEach((e) => emulator.off(e, finish)); } });
});

app.all('/bot:token/setWebhook', (req, res, next) => {
  const secret = param(req, 'secret_token');
  if (secret) secrets[req.params.token] = secret; else delete secrets[req.params.token];
  next();
});

// Everything else goes to the package, except what it does not know.
const known = new Set(['getMe', 'getUpdates', 'sendMessage', 'sendVenue', 'sendLocation',
  'editMessageText', 'editMessageReplyMarkup', 'answerCallbackQuery', 'deleteMessage', 'setWebhook',
  'deleteWebhook', 'getChatAdministrators']);
app.all('/bot:token/:method', (req, res, next) => {
  if (known.has(req.params.method)) { next(); return; }
  res.status(404).json({ ok: false, error_code: 404, description: 'Not Found' });
});
app.use(emulator.webServer);

emulator.started = true;
const server = http.createServer(app);
server.listen(port, host, () => {
  emulator.cleanUpDaemon();
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
