package io.podvault.bench;

import io.podvault.support.PinePodsData;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's history-heavy shape: a server whose users have listened and synced for years, so most rows are
 * listening history, episodes and gPodder episode actions and subscriptions, all short, and most of a restore's
 * work is building the indexes on them (the four big tables carry 25 of the data model's 138). First
 * {@link PinePodsData#fill} puts a few rows in every table, so every table and index has something to restore;
 * then bulk rows, generated server-side from {@code generate_series} like {@link PinePodsData#fillLarge} and
 * consistent by construction: each user owns podcasts (several users following the same feed, as on a real
 * server), listens only to their own podcasts' episodes, has three gPodder devices, and every action and
 * subscription names a device of its user and the URLs of a podcast and episode that user has. Written with
 * {@code session_replication_role = replica} (needs a superuser), as fillLarge is, so the foreign-key triggers
 * do not lock every referenced row.
 */
final class HistoryData {

  /** Users whose history is this many rows, about; fewer than 10 or more than 1 000 users are not realistic. */
  private static final long ROWS_PER_USER = 20_000;
  /** Podcasts a user follows: their share of the rows over this. */
  private static final long ROWS_PER_PODCAST = 250;
  private static final int DEVICES_PER_USER = 3;

  private static final String[] WORDS = ("news history science music comedy culture sports crime health business "
    + "travel tech film books food nature space politics design money games family faith language").split(" ");

  /** How many rows of each kind {@code rows} in all asks for. */
  record Scale(int users, int podcastsPerUser, long episodes, long history, long actions, long subscriptions) {

    static Scale of(long rows) {
      if (rows < 10_000) {
        throw new IllegalArgumentException("the history shape needs at least 10 000 rows, not " + rows);
      }
      int users = (int) Math.max(10, Math.min(1_000, rows / ROWS_PER_USER));
      int perUser = (int) Math.max(1, Math.min(500, rows / users / ROWS_PER_PODCAST));
      long episodes = rows * 30 / 100;
      // A user listens only to their own podcasts' episodes, at most once each (user_episode_unique).
      long history = Math.min(rows * 26 / 100, users * (episodes / users));
      long subscriptions = rows / 10;
      long podcasts = (long) users * perUser;
      long derived = history / 50 * 2 + history / 100 + history / 200 + podcasts + podcasts / 20
        + (long) users * (DEVICES_PER_USER * 4 + 8);
      long actions = rows - users - podcasts - episodes - history - subscriptions - derived;
      return new Scale(users, perUser, episodes, history, actions, subscriptions);
    }

    long podcasts() {
      return (long) users * podcastsPerUser;
    }

    /** Episodes of each user. */
    long userEpisodes() {
      return episodes / users;
    }

    /** A multiplier that scatters each user's listens over their episodes without repeating one. */
    long scatter() {
      long m = 7_919;
      while (BigInteger.valueOf(m).gcd(BigInteger.valueOf(userEpisodes())).intValue() != 1) {
        m++;
      }
      return m;
    }
  }

  /** Feed number of podcast row {@code p} (0-based): distinct within a user, shared between users. */
  private static final String FEED = "((p / nu + (p % nu) * 13) % (np / 3 + pu))";
  /** Episode row (0-based) of history row {@code j}; see HISTORY_SQL. */
  private static final String EPISODE = "(j % nu + nu * ((j / nu * m) % ne))";

  /** Parameter: rows. */
  private static final String USERS_SQL = """
    INSERT INTO "Users" (fullname, username, email, hashed_pw, isadmin, timezone, pod_sync_type, gpodderurl,
      gpodderloginname, auth_type, lastsynctime)
    SELECT 'Syncer ' || i, 'syncer_' || i, 'syncer' || i || '@example.com',
      '$argon2id$v=19$m=65536,t=3,p=4$' || md5('salt' || i) || '$' || md5('hash' || i), false,
      (ARRAY['UTC', 'Europe/Paris', 'America/Chicago'])[1 + i % 3], 'gpodder', 'http://localhost:8042',
      'syncer_' || i, 'standard', timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
    FROM generate_series(1, ?) i""";

  /** Parameters: first user id, users, podcasts, podcasts per user, words, rows. */
  private static final String PODCASTS_SQL = """
    INSERT INTO "Podcasts" (podcastindexid, podcastname, artworkurl, author, categories, description, episodecount,
      feedurl, websiteurl, explicit, userid, lastrefreshattempt, lastrefreshsuccess)
    SELECT 200000 + f, initcap(w[1 + f % nw]) || ' ' || f, 'https://img.example.com/' || f || '.jpg',
      'Studio ' || f % 97, '{"1": "' || initcap(w[1 + f % nw]) || '"}', 'A show about ' || w[1 + f % nw] || '.',
      0, 'https://feeds.example.com/' || f || '.xml', 'https://example.com/' || f, f % 11 = 0, u0 + p % nu,
      timestamp '2026-01-01 00:00:00' + p * interval '1 second',
      timestamp '2026-01-01 00:00:00' + p * interval '1 second'
    FROM (SELECT ?::int AS u0, ?::bigint AS nu, ?::bigint AS np, ?::bigint AS pu, ?::text[] AS w) a,
      LATERAL (SELECT cardinality(a.w) AS nw) n,
      generate_series(0::bigint, ? - 1) p,
      LATERAL (SELECT $FEED AS f) g""".replace("$FEED", FEED);

  /**
   * In publication order across all podcasts: episode i is number i / np of podcast row i % np, whose user is
   * i % nu (podcast rows go round the users, and nu divides np). Users following one feed see the same
   * episode URLs and GUIDs. Parameters: first podcast id, users, podcasts, podcasts per user, words, rows.
   */
  private static final String EPISODES_SQL = """
    INSERT INTO "Episodes" (podcastid, episodetitle, episodedescription, episodeurl, episodeartwork, episodepubdate,
      episodeduration, completed, is_video, episodeguid)
    SELECT p0 + p, initcap(w[1 + (i * 7) % nw]) || ' ' || w[1 + (i * 13) % nw] || ' #' || e,
      'Notes: ' || w[1 + (i * 3) % nw] || ', ' || w[1 + (i * 5) % nw] || '.',
      'https://media.example.com/' || f || '/' || e || '.mp3', 'https://img.example.com/' || f || '.jpg',
      timestamp '2012-01-01 00:00:00' + i * interval '2 minutes 7.5 seconds', 60 + (i * 7919) % 7140, i % 4 = 0,
      false, md5(f || '/' || e)::uuid::text
    FROM (SELECT ?::int AS p0, ?::bigint AS nu, ?::bigint AS np, ?::bigint AS pu, ?::text[] AS w) a,
      LATERAL (SELECT cardinality(a.w) AS nw) n,
      generate_series(0::bigint, ? - 1) i,
      LATERAL (SELECT i % np AS p, i / np AS e) q,
      LATERAL (SELECT $FEED AS f) g""".replace("$FEED", FEED);

  /**
   * In time order, the users taking turns: row j is listen number k = j / nu of user j % nu, who hears their
   * own episodes (those congruent to the user mod nu, ne of them each) in a scattered order, k * m mod ne with m
   * prime to ne, so no episode twice. Parameters: first user id, first episode id, users, ne, m, rows.
   */
  private static final String HISTORY_SQL = """
    INSERT INTO "UserEpisodeHistory" (userid, episodeid, listendate, listenduration)
    SELECT u0 + j % nu, e0 + $EPISODE,
      timestamp '2019-01-01 00:00:00' + j * interval '13.25 seconds', ((j * 7919) % 3600)::int
    FROM (SELECT ?::int AS u0, ?::int AS e0, ?::bigint AS nu, ?::bigint AS ne, ?::bigint AS m) a,
      generate_series(0::bigint, ? - 1) j""".replace("$EPISODE", EPISODE);

  /** Parameters: first user id, rows (three a user). */
  private static final String DEVICES_SQL = """
    INSERT INTO "GpodderDevices" (userid, devicename, devicetype, devicecaption, isdefault, lastsync, isactive)
    SELECT ? + t / 3, (ARRAY['pinepods_web', 'phone', 'tablet'])[1 + t % 3],
      (ARRAY['desktop', 'mobile', 'mobile'])[1 + t % 3], 'Device ' || t, t % 3 = 0,
      timestamp '2026-02-01 00:00:00' + t * interval '1 minute', t % 3 <> 2
    FROM generate_series(0, ? - 1) t""";

  /**
   * Every history row's play, and for some of them a download and a new-episode action as well, each from the
   * device of its user that the row number picks. Parameters: first user id, first device id, users, podcasts, podcasts per
   * user, history rows, ne and m as for the history, rows.
   */
  private static final String ACTIONS_SQL = """
    INSERT INTO "GpodderSyncEpisodeActions" (userid, deviceid, podcasturl, episodeurl, action, "timestamp", started,
      "position", total)
    SELECT u0 + u, d0 + u * 3 + x % 3, 'https://feeds.example.com/' || f || '.xml',
      'https://media.example.com/' || f || '/' || i / np || '.mp3',
      (ARRAY['play', 'download', 'new'])[1 + (x / nh) % 3], 1546300800 + j * 13 + x / nh,
      CASE WHEN (x / nh) % 3 = 0 THEN 0 END, CASE WHEN (x / nh) % 3 = 0 THEN ((j * 7919) % 3600)::int END,
      CASE WHEN (x / nh) % 3 = 0 THEN 60 + (i * 7919) % 7140 END
    FROM (SELECT ?::int AS u0, ?::int AS d0, ?::bigint AS nu, ?::bigint AS np, ?::bigint AS pu, ?::bigint AS nh,
        ?::bigint AS ne, ?::bigint AS m) a,
      generate_series(0::bigint, ? - 1) x,
      LATERAL (SELECT x % nh AS j) h,
      LATERAL (SELECT j % nu AS u, $EPISODE AS i) l,
      LATERAL (SELECT i % np AS p) q,
      LATERAL (SELECT $FEED AS f) g""".replace("$FEED", FEED).replace("$EPISODE", EPISODE);

  /**
   * Each device adds each of its user's podcasts, then removes and adds them again, round after round.
   * Parameters: first user id, first device id, users, podcasts, podcasts per user, rows.
   */
  private static final String SUBSCRIPTIONS_SQL = """
    INSERT INTO "GpodderSyncSubscriptions" (userid, deviceid, podcasturl, action, "timestamp")
    SELECT u0 + t / 3, d0 + t, 'https://feeds.example.com/' || f || '.xml',
      CASE WHEN c / pu % 2 = 0 THEN 'add' ELSE 'remove' END, 1546300800 + s * 17
    FROM (SELECT ?::int AS u0, ?::int AS d0, ?::bigint AS nu, ?::bigint AS np, ?::bigint AS pu) a,
      generate_series(0::bigint, ? - 1) s,
      LATERAL (SELECT s % (nu * 3) AS t, s / (nu * 3) AS c) d,
      LATERAL (SELECT t / 3 + nu * (c % pu) AS p) q,
      LATERAL (SELECT $FEED AS f) g""".replace("$FEED", FEED);

  /** Per user, per device and per podcast rows, and some derived from the history; parameter: first user id. */
  private static final List<String> EXTRAS_SQL = List.of("""
    INSERT INTO "GpodderSyncState" (userid, deviceid, lasttimestamp, episodestimestamp)
    SELECT userid, deviceid, 1700000000 + deviceid, 1700000000 + deviceid * 2 FROM "GpodderDevices" WHERE userid >= ?""", """
    INSERT INTO "GpodderSyncDeviceState" (userid, deviceid, subscriptioncount, lastupdated)
    SELECT userid, deviceid, deviceid % 80, timestamp '2026-03-01 00:00:00' + deviceid * interval '1 second'
    FROM "GpodderDevices" WHERE userid >= ?""", """
    INSERT INTO "GpodderSyncSettings" (userid, scope, deviceid, settingkey, settingvalue, createdat, lastupdated)
    SELECT userid, 'device', deviceid, 'auto_update', 'true', timestamp '2025-01-01 00:00:00',
      timestamp '2025-01-02 00:00:00'
    FROM "GpodderDevices" WHERE userid >= ?""", """
    INSERT INTO "GpodderSyncDevicePairs" (userid, deviceid1, deviceid2, createdat)
    SELECT userid, min(deviceid), max(deviceid), timestamp '2025-06-01 00:00:00'
    FROM "GpodderDevices" WHERE userid >= ? AND devicename IN ('pinepods_web', 'phone') GROUP BY userid""", """
    INSERT INTO "GpodderSubscriptionSnapshot" (userid, synctarget, feedurl)
    SELECT userid, 'gpodder', feedurl FROM "Podcasts" WHERE userid >= ?""", """
    INSERT INTO "GpodderSyncPodcastLists" (userid, name, title, createdat)
    SELECT userid, 'favourites', 'Favourites of ' || username, timestamp '2025-04-01 00:00:00'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "GpodderSyncPodcastListEntries" (listid, podcasturl, createdat)
    SELECT l.listid, p.feedurl, timestamp '2025-04-02 00:00:00'
    FROM "GpodderSyncPodcastLists" l JOIN "Podcasts" p ON p.userid = l.userid
    WHERE l.userid >= ? AND p.podcastid % 20 = 0""", """
    INSERT INTO "GpodderSessions" (userid, sessiontoken, createdat, expiresat, lastactive, useragent, clientip)
    SELECT userid, md5('gpodder' || userid) || md5('session' || userid), timestamp '2026-01-01 00:00:00',
      timestamp '2030-01-01 00:00:00', timestamp '2026-01-02 00:00:00', 'AntennaPod/3.4', '192.0.2.' || userid % 250
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "Sessions" (userid, sessiontoken, expirationtime, isactive)
    SELECT userid, md5('session' || userid) || md5('token' || userid), timestamp '2030-01-01 00:00:00', true
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "UserSettings" (userid, theme, startpage, autocompleteseconds, collection_add_ui)
    SELECT userid, (ARRAY['Nordic', 'Dracula', 'Light'])[1 + userid % 3], 'home', userid % 60, 'modal'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "UserStats" (userid, usercreated, podcastsplayed, timelistened, podcastsadded, episodessaved,
      episodesdownloaded)
    SELECT userid, timestamp '2019-01-01 00:00:00' + userid * interval '1 day', 0, 0, 80, 0, 0
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "APIKeys" (userid, apikey, created)
    SELECT userid, md5('key' || userid) || md5('api' || userid), timestamp '2025-01-01 00:00:00'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "Collections" (userid, name, description, isdefault, createdat, lastupdated)
    SELECT userid, 'Saved', NULL, true, timestamp '2024-01-01 00:00:00', timestamp '2024-01-02 00:00:00'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "SavedEpisodes" (userid, episodeid, savedate)
    SELECT userid, episodeid, listendate FROM "UserEpisodeHistory"
    WHERE userid >= ? AND userepisodehistoryid % 50 = 0""", """
    INSERT INTO "CollectionEpisodes" (collectionid, episodeid, addedat)
    SELECT c.collectionid, s.episodeid, s.savedate
    FROM "SavedEpisodes" s JOIN "Collections" c ON c.userid = s.userid AND c.isdefault
    WHERE s.userid >= ?""", """
    INSERT INTO "DownloadedEpisodes" (userid, episodeid, downloadeddate, downloadedsize, downloadedlocation)
    SELECT userid, episodeid, listendate, 10000000 + episodeid % 90000000, '/downloads/' || episodeid || '.mp3'
    FROM "UserEpisodeHistory" WHERE userid >= ? AND userepisodehistoryid % 100 = 0""", """
    INSERT INTO "EpisodeQueue" (queuedate, userid, episodeid, queueposition, is_youtube)
    SELECT listendate, userid, episodeid, row_number() OVER (PARTITION BY userid ORDER BY episodeid), false
    FROM "UserEpisodeHistory" WHERE userid >= ? AND userepisodehistoryid % 200 = 0""");

  private HistoryData() {
  }

  /** Fills a freshly migrated schema with about {@code rows} rows in all. Ends with {@code ANALYZE}. */
  static void fill(Connection c, long rows) throws SQLException {
    Scale scale = Scale.of(rows);
    PinePodsData.fill(c, 1);
    String role = single(c, "SELECT current_setting('session_replication_role')");
    execute(c, "SET session_replication_role = replica");
    try {
      long users = scale.users();
      long podcasts = scale.podcasts();
      long perUser = scale.podcastsPerUser();
      Array words = c.createArrayOf("text", WORDS);
      int u0 = insert(c, "Users", "userid", users, USERS_SQL);
      int p0 = insert(c, "Podcasts", "podcastid", podcasts, PODCASTS_SQL, u0, users, podcasts, perUser, words);
      int e0 = insert(c, "Episodes", "episodeid", scale.episodes(), EPISODES_SQL, p0, users, podcasts, perUser, words);
      insert(c, "UserEpisodeHistory", "userepisodehistoryid", scale.history(), HISTORY_SQL, u0, e0, users,
        scale.userEpisodes(), scale.scatter());
      int d0 = insert(c, "GpodderDevices", "deviceid", users * DEVICES_PER_USER, DEVICES_SQL, u0);
      insert(c, "GpodderSyncEpisodeActions", "actionid", scale.actions(), ACTIONS_SQL, u0, d0, users, podcasts,
        perUser, scale.history(), scale.userEpisodes(), scale.scatter());
      insert(c, "GpodderSyncSubscriptions", "subscriptionid", scale.subscriptions(), SUBSCRIPTIONS_SQL, u0, d0, users,
        podcasts, perUser);
      for (String sql : EXTRAS_SQL) {
        execute(c, sql, u0);
      }
    } finally {
      execute(c, "SELECT set_config('session_replication_role', ?, false)", role);
    }
    execute(c, "ANALYZE");
  }

  /** Runs one bulk INSERT ... SELECT of {@code rows} rows and returns the first id it took from the sequence. */
  private static int insert(Connection c, String table, String idColumn, long rows, String sql, Object... params)
      throws SQLException {
    Object[] all = Arrays.copyOf(params, params.length + 1);
    all[params.length] = rows;
    execute(c, sql, all);
    try (PreparedStatement ps = c.prepareStatement("SELECT currval(pg_get_serial_sequence(?, ?))")) {
      ps.setString(1, '"' + table + '"');
      ps.setString(2, idColumn);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return (int) (rs.getLong(1) - rows + 1);
      }
    }
  }

  private static void execute(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.execute();
    }
  }

  private static String single(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
