'use strict';

/** Shared helpers: the token, JSON API calls with the server's error messages, sign-out. */
const podvault = (function () {
  const TOKEN = 'podvault.token';
  const USER = 'podvault.user';
  const RESTORED = 'The server was restored; please sign in again.';
  const SESSION_ENDED = 'Your session has ended; please sign in again.';
  const UNAVAILABLE = 'The server is unavailable: its database cannot be reached. Try again shortly.';

  function token() {
    return localStorage.getItem(TOKEN);
  }

  function user() {
    try {
      return JSON.parse(localStorage.getItem(USER));
    } catch (e) {
      return null;
    }
  }

  function signIn(newToken, newUser) {
    localStorage.setItem(TOKEN, newToken);
    localStorage.setItem(USER, JSON.stringify(newUser));
  }

  let leaving = false;

  /** The sign-in page's notice for the code of a 401: a session that a restore ended says so. */
  function endedNotice(code) {
    return code === 'restored' ? RESTORED : SESSION_ENDED;
  }

  function signOut(notice) {
    leaving = true;
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USER);
    if (notice) {
      sessionStorage.setItem('podvault.notice', notice);
    }
    location.replace('index.html');
  }

  /** Calls the API; resolves with the JSON body, rejects with an Error carrying the server's message. */
  async function api(method, path, body, options = {}) {
    const headers = {};
    if (!options.anonymous && token()) {
      headers['Authorization'] = 'Bearer ' + token();
    }
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch (e) {
      throw new Error('The server cannot be reached. Check that podvault is running.');
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (response.status === 401 && !options.anonymous) {
      signOut(endedNotice(json && json.code));
    }
    if (!response.ok) {
      // A 503 leaves the session as it is: the credentials were not refused, they could not be checked.
      const unavailable = json && json.code === 'database_unavailable';
      const error = new Error(unavailable ? UNAVAILABLE : (json && json.error) || ('The server answered ' + response.status + '.'));
      error.status = response.status;
      error.code = json && json.code;
      throw error;
    }
    return json;
  }

  function showError(element, message) {
    element.textContent = sentence(message);
    element.hidden = false;
  }

  /** The server writes its messages in lower case without a full stop; the page shows them as sentences. */
  function sentence(message) {
    const text = String(message || '').trim();
    if (!text) {
      return text;
    }
    const first = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?…]$/.test(first) ? first : first + '.';
  }

  const NUMBER = new Intl.NumberFormat();

  function number(value) {
    return NUMBER.format(value || 0);
  }

  function bytes(size) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let value = size;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit++;
    }
    return (unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)) + ' ' + units[unit];
  }

  /** "about 2 min", "about 40 s": an estimate, so rounded. */
  function duration(seconds) {
    if (!isFinite(seconds) || seconds < 0) {
      return '';
    }
    if (seconds < 10) {
      return 'a few seconds';
    }
    if (seconds < 60) {
      return 'about ' + Math.round(seconds / 5) * 5 + ' s';
    }
    if (seconds < 3600) {
      return 'about ' + Math.round(seconds / 60) + ' min';
    }
    const hours = Math.floor(seconds / 3600);
    return 'about ' + hours + ' h ' + Math.round((seconds - hours * 3600) / 60) + ' min';
  }

  /** True once the page is being signed out, so nothing should hold it back. */
  function signingOut() {
    return leaving;
  }

  return { token, user, signIn, signOut, signingOut, endedNotice, api, showError, sentence, number, bytes, duration };
})();
