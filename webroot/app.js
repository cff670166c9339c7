'use strict';

/** Shared helpers: the token, JSON API calls with the server's error messages, sign-out. */
const podvault = (function () {
  const TOKEN = 'podvault.token';
  const USER = 'podvault.user';

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

  function signOut(notice) {
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
      signOut('Your session has ended; please sign in again.');
    }
    if (!response.ok) {
      const error = new Error((json && json.error) || ('The server answered ' + response.status + '.'));
      error.status = response.status;
      error.code = json && json.code;
      throw error;
    }
    return json;
  }

  function showError(element, message) {
    element.textContent = message;
    element.hidden = false;
  }

  return { token, user, signIn, signOut, api, showError };
})();
