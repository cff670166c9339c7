'use strict';

/**
 * The page's one WebSocket to the server (GET /ws). It authenticates with the page's token, hands job
 * events to listeners, and signs the page out when a restore has replaced the data. A dropped connection
 * is opened again with growing delays, except after the sign-out.
 */
const podvaultLive = (function () {
  const RESTORED = podvault.endedNotice('restored');
  const SIGNED_OUT = 'You were signed out on another page.';
  const FIRST_DELAY_MILLIS = 1000;
  const MAX_DELAY_MILLIS = 30000;
  /** A connection that lived this long was healthy: the next drop starts the delays from the beginning. */
  const HEALTHY_MILLIS = 10000;

  const jobListeners = [];
  const statusListeners = [];
  let socket = null;
  let openedAt = 0;
  let delay = FIRST_DELAY_MILLIS;
  let timer = null;
  let over = false;
  /** A restore was seen running: if the session then turns out to be gone, the restore ended it. */
  let restoreSeen = false;

  function url() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  }

  /** Opens the connection once; later calls do nothing. */
  function start() {
    if (socket || timer || over) {
      return;
    }
    connect();
  }

  function onJob(listener) {
    jobListeners.push(listener);
  }

  /** The listener gets true when live updates flow, false while the connection is being re-established. */
  function onStatus(listener) {
    statusListeners.push(listener);
  }

  function connect() {
    timer = null;
    const token = podvault.token();
    if (!token) {
      over = true;
      return;
    }
    const ws = new WebSocket(url());
    socket = ws;
    ws.addEventListener('open', () => {
      openedAt = Date.now();
      ws.send(JSON.stringify({ type: 'auth', token }));
      statusListeners.forEach((listener) => listener(true));
    });
    ws.addEventListener('message', (message) => receive(message.data));
    // An 'error' is always followed by 'close', which is where the connection is retried.
    ws.addEventListener('close', () => closed(ws));
  }

  function receive(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (!event || typeof event !== 'object') {
      return;
    }
    if (event.type === 'signout') {
      end(event.reason === 'restore' ? RESTORED : SIGNED_OUT);
    } else if (event.type === 'job') {
      if (event.kind === 'restore') {
        restoreSeen = event.state !== 'failed';
      }
      jobListeners.forEach((listener) => listener(event));
    }
  }

  async function closed(ws) {
    if (ws !== socket || over) {
      return;
    }
    socket = null;
    statusListeners.forEach((listener) => listener(false));
    if (openedAt && Date.now() - openedAt > HEALTHY_MILLIS) {
      delay = FIRST_DELAY_MILLIS;
    }
    openedAt = 0;
    const wait = delay * (0.75 + Math.random() / 2);
    delay = Math.min(delay * 2, MAX_DELAY_MILLIS);
    // The server closes the socket of a token it no longer accepts; retrying that would never end.
    if (await sessionEnded()) {
      return;
    }
    if (!over) {
      timer = setTimeout(connect, wait);
    }
  }

  /** Asks the server whether this page's token still works; signs the page out when it does not. */
  async function sessionEnded() {
    const token = podvault.token();
    if (!token) {
      end(null);
      return true;
    }
    let response;
    try {
      response = await fetch('/api/auth/me', { headers: { Authorization: 'Bearer ' + token } });
    } catch (e) {
      return false;
    }
    if (response.status !== 401) {
      return false;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    end(restoreSeen ? RESTORED : podvault.endedNotice(body && body.code));
    return true;
  }

  /** For a page that signs itself out: the server's sign-out of this session is no news to it. */
  function stop() {
    over = true;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const ws = socket;
    socket = null;
    if (ws) {
      ws.close();
    }
  }

  function end(notice) {
    stop();
    podvault.signOut(notice);
  }

  return { start, stop, onJob, onStatus };
})();
