/* Flywheel demo chat (served as /demo/demo.js under a strict CSP). Sends the user's message to
 * the gateway as `model: "route:demo-chat"` (or, with no gateway configured, to this service's
 * canned endpoint) and puts a feedback widget under each answer. Model output and every other
 * server value is inserted as text (textContent / setAttribute), never as HTML. */
/* global document */
'use strict';
(function () {
  var config = document.body.dataset;
  var log = document.getElementById('log');
  var form = document.getElementById('ask');
  var input = document.getElementById('message');
  var status = document.getElementById('status');
  var history = [];

  function visitorId() {
    try {
      var id = localStorage.getItem('flywheel-demo-visitor');
      if (!id) {
        id = crypto.randomUUID();
        localStorage.setItem('flywheel-demo-visitor', id);
      }
      return id;
    } catch {
      return 'anonymous';
    }
  }
  var visitor = visitorId();

  function text(tag, className, value) {
    var el = document.createElement(tag);
    el.className = className;
    el.textContent = value;
    return el;
  }

  function addMessage(role, value, note) {
    var item = document.createElement('li');
    item.className = 'msg ' + role;
    item.append(text('p', 'text', value));
    if (note) item.append(text('p', 'note', note));
    log.append(item);
    item.scrollIntoView({ block: 'end' });
    return item;
  }

  function addWidget(item, interactionId, token) {
    if (!interactionId || !token) {
      item.append(text('p', 'note', 'No feedback token came with this answer, so it cannot be rated.'));
      return;
    }
    var el = document.createElement('div');
    el.setAttribute('data-interaction-id', interactionId);
    el.setAttribute('data-token', token);
    if (config.reasons) el.setAttribute('data-reasons', config.reasons);
    // set last: the widget's observer mounts once the element is complete
    el.setAttribute('data-flywheel-feedback', '');
    item.append(el);
  }

  function errorMessage(json, res) {
    var message = json && json.error && typeof json.error.message === 'string' ? json.error.message : '';
    return message || 'the server answered ' + res.status;
  }

  function askGateway() {
    return fetch(config.gatewayUrl + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (config.gatewayKey || '') },
      body: JSON.stringify({ model: 'route:demo-chat', messages: history, user: visitor }),
    }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (json) {
          if (!res.ok) throw new Error(errorMessage(json, res));
          var choice = json && json.choices && json.choices[0];
          var content = choice && choice.message && choice.message.content;
          var meta = (json && json.flywheel) || {};
          var variant = res.headers.get('x-flywheel-variant') || meta.variant;
          return {
            answer: typeof content === 'string' ? content : '',
            interactionId: res.headers.get('x-flywheel-interaction-id') || meta.interaction_id,
            token: res.headers.get('x-flywheel-feedback-token') || meta.feedback_token,
            note: variant ? 'route:demo-chat · variant ' + variant : '',
          };
        });
    });
  }

  function askCanned(message) {
    return fetch('/demo/interactions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: message, visitor: visitor }),
    }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (json) {
          if (!res.ok || !json) throw new Error(errorMessage(json, res));
          return {
            answer: String(json.answer),
            interactionId: json.interaction_id,
            token: json.feedback_token,
            note: 'Canned demo answer (no gateway configured); its feedback token was minted by this feedback service.',
          };
        });
    });
  }

  function send() {
    var message = input.value.trim();
    if (!message) return;
    input.value = '';
    addMessage('user', message);
    history.push({ role: 'user', content: message });
    var button = form.querySelector('button');
    button.disabled = true;
    status.textContent = 'Thinking…';
    var ask = config.mode === 'gateway' ? askGateway() : askCanned(message);
    ask
      .then(function (reply) {
        history.push({ role: 'assistant', content: reply.answer });
        var item = addMessage('assistant', reply.answer, reply.note);
        addWidget(item, reply.interactionId, reply.token);
        status.textContent = '';
      })
      .catch(function (err) {
        history.pop();
        addMessage('error', 'Could not get an answer: ' + (err && err.message ? err.message : String(err)));
        status.textContent = '';
      })
      .finally(function () {
        button.disabled = false;
        input.focus();
      });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    send();
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  });
})();
