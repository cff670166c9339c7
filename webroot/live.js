'use strict';

/**
 * The page's one WebSocket to the server (GET /ws). It authenticates with the page's token, hands job
 * events to listeners, and signs the page out when a restore has replaced the data. A dropped connection
 * is opened again with growing delays, except after the sign-out. The server also closes the socket of a
 * session that ended or whose user's role changed: the page then asks who it is, and signs out or reloads.
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
  /** Whether the page shows an administrator's view; when the server says otherwise, the page reloads. */
  let shownAdmin = null;

  function url() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  }

  /** Opens the connection once, for the page of the user {@code me} shows; later calls do nothing. */
  function start(me) {
    shownAdmin = me ? me.is_admin : null;
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
    if (await accountChanged()) {
      return;
    }
    if (!over) {
      timer = setTimeout(connect, wait);
    }
  }

  /**
   * Asks the server whether this page's token still works: signs the page out when it does not, reloads it when
   * the user's role is no longer the one shown. A server that cannot answer (503, unreachable) changes nothing.
   */
  async function accountChanged() {
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
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (response.ok && body && shownAdmin !== null && body.is_admin !== shownAdmin) {
      stop();
      location.reload();
      return true;
    }
    if (response.status !== 401) {
      return false;
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
