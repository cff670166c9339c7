package io.podvault.support;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.postgresql.util.PGobject;

/**
 * Test data in PinePods' data model, and fingerprints to compare two databases with.
 *
 * <p>{@link #fill} writes a small data set into every one of the 49 tables whose values are chosen to
 * break naive backup code: NULLs everywhere they are allowed, COPY's special characters ({@code \t},
 * {@code \n}, {@code \r}, {@code \\}, a {@code \.} line), quotes, non-Latin text and emoji, a text over
 * 1 MB, nested jsonb, integer arrays, full-precision numerics, extreme floats, bigints and timestamps.
 * Every timestamp is given explicitly (never {@code CURRENT_TIMESTAMP}), so one seed always yields the
 * same rows. {@link #fillLarge} writes a PinePods-shaped bulk data set server-side for benchmarks.
 * {@link #tableChecksums}, {@link #sequenceStates}, {@link #checksums} and {@link #schemaFacts} tell whether two databases
 * hold the same data and schema, e.g. before a backup and after its restore.
 */
public final class PinePodsData {

  static final String TABS = "col one\tcol two\t\tcol four\t";
  static final String NEWLINES = "line one\nline two\r\nline three\rline four\n";
  static final String END_MARKER = "COPY data ends at a line holding only\n\\.\nbut this text goes on";
  static final String BACKSLASHES = "C:\\Podcasts\\new\\N \\t \\\\server\\share \\x41 \\101";
  static final String TRAILING_BACKSLASH = "ends with a backslash \\";
  static final String QUOTES = "O'Brien's \"quoted\" show '' \"\" `ticks` $$dollar$$";
  static final String UNICODE = "播客 Ünïcödé 🎧🎙️ Ελληνικά русский עברית العربية हिन्दी \u00A0nbsp\u200Bzwsp\uFEFFbom";
  static final String ROW_SYNTAX = "(1,\"x\") {a,b} NULL \\N , ; ( ) \"";

  private static final List<String> NASTY = List.of(TABS, NEWLINES, END_MARKER, BACKSLASHES, TRAILING_BACKSLASH,
    QUOTES, UNICODE, ROW_SYNTAX);

  /** Function words, so generated sentences read like prose. */
  private static final String[] COMMON = ("the of and to in a is that for it as with was on be at by this had "
    + "from or have an they which one you were her all she there would their we him been has when who will "
    + "more no if out so said what up its about into than them can only other new some could time these two "
    + "may then do first any my now such like our over even most made after also did many before must "
    + "through back where much your way well down should because each just those how too little very make "
    + "still own see here between both being under never same another while last might great off since").split(" ");

  /** Content words for titles, names and the meat of sentences. */
  private static final String[] TOPICS = ("podcast episode interview story history science music culture "
    + "politics comedy news technology health business sports crime mystery guest host season chapter live "
    + "special weekly daily conversation listener question answer future ocean mountain city river garden "
    + "kitchen engine rocket planet galaxy software hardware network privacy security startup economy market "
    + "climate energy travel language book film theater poetry philosophy psychology medicine biology "
    + "chemistry physics mathematics architecture design coffee bread wine football baseball chess island "
    + "desert forest winter summer village railway bridge harbor lighthouse library museum orchestra jazz "
    + "guitar piano radio satellite telescope volcano glacier storm thunder lightning whale falcon wolf "
    + "tiger dragon robot algorithm database compiler kernel browser protocol station founder teacher "
    + "student doctor nurse lawyer judge senator mayor farmer baker pilot sailor astronaut detective "
    + "spy rebel empire kingdom republic revolution treaty frontier memory dream silence laughter courage").split(" ");

  private static final int BULK_USERS = 50;
  private static final int BULK_PODCASTS = 2_000;
  private static final int SENTENCES = 4_096;
  private static final LocalDateTime EPOCH = LocalDateTime.of(2015, 1, 1, 0, 0);
  private static final long SPAN_MICROS = 11L * 365 * 24 * 3600 * 1_000_000;

  private PinePodsData() {
  }

  // ---------------------------------------------------------------------------------------------------
  // The small, nasty data set

  /**
   * Fills every table of a freshly migrated, empty schema with a few rows (at least two each). Ids come
   * from the serial sequences, except "AISettings", which PinePods writes with an explicit id 1 so its
   * sequence stays un-called (here rows 1 and 2). {@code seed} drives every random choice, so equal seeds
   * give equal data. No user is named "admin", so podvault's own admin can still be created.
   */
  public static void fill(Connection c, long seed) throws SQLException {
    new SmallDataSet(c, new Random(seed)).insertAll();
  }

  /** Row-by-row inserts with bound parameters, remembering the generated ids the children need. */
  private static final class SmallDataSet {

    private final Connection c;
    private final Random rnd;
    private final List<Integer> users = new ArrayList<>();
    private final List<Integer> providers = new ArrayList<>();
    private final List<Integer> podcasts = new ArrayList<>();
    private final List<Integer> episodes = new ArrayList<>();
    private final List<Integer> videos = new ArrayList<>();
    private final List<Integer> devices = new ArrayList<>();
    private final List<Integer> segments = new ArrayList<>();

    SmallDataSet(Connection c, Random rnd) {
      this.c = c;
      this.rnd = rnd;
    }

    void insertAll() throws SQLException {
      settings();
      usersAndProviders();
      library();
      episodeState();
      lists();
      gpodder();
      accounts();
      misc();
    }

    private void settings() throws SQLException {
      String ai = "aisettingsid, transcriptionmodel, llmbackend, llmmodel, llmurl, llmapikey, whisperdevice, "
        + "whispercomputetype, updatedat";
      insert("AISettings", ai, 1, "base", "local", null, null, null, "cpu", "int8", ts());
      insert("AISettings", ai, 2, "large-v3 " + UNICODE.substring(0, 10), "openai", QUOTES,
        "https://llm.example.com/v1?key=a&b=\\", TRAILING_BACKSLASH, "cuda", "float16", micros(2024, 2, 29));
      String app = "selfserviceuser, downloadenabled, newsfeedsubscribed, downloadfoldercover, downloadepisodecover, "
        + "downloadmetadatasidecar, downloadmetadataformat, downloadmetadatasubfolder, encryptionkey";
      insert("AppSettings", app, false, true, false, true, false, true, "both", true,
        "gAAAAABmZ3Y0X2VuY3J5cHRpb25fa2V5X2Zvcl90ZXN0c19vbmx5X25vdF9yZWFsPT0=");
      insert("AppSettings", app, null, null, null, null, null, null, null, null, null);
      String email = "server_name, server_port, from_email, send_mode, encryption, auth_required, username, password";
      insert("EmailSettings", email, "smtp.例え.jp", 465, "pods@example.com", "SMTP", "SSL/TLS", true,
        "mailer\tuser", QUOTES);
      insert("EmailSettings", email, null, null, null, null, null, null, null, null);
      String hostCache = "cachekey, feedjson, refreshedat";
      insert("HostFeedCache", hostCache, "feed:" + UNICODE, "{\"items\": [\"" + ROW_SYNTAX.replace("\\", "\\\\")
        .replace("\"", "\\\"") + "\"]}", ts());
      insert("HostFeedCache", hostCache, TRAILING_BACKSLASH, END_MARKER,
        LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000));
      String migrations = "version, description, appliedat";
      insert("GpodderSyncMigrations", migrations, 1, "Create gpodder sync tables", ts());
      insert("GpodderSyncMigrations", migrations, Integer.MAX_VALUE, NEWLINES, ts());
      String ledger = "version, name, description, checksum, applied_at, execution_time_ms";
      insert("schema_migrations", ledger, "001", "create_core_tables", "Creates \"Users\" and friends\n", hex(64),
        ts(), 12);
      insert("schema_migrations", ledger, "gpodder_109", "gpodder_device_pairs", null, hex(64), null, null);
      insert("schema_migrations", ledger, "058", UNICODE, BACKSLASHES, hex(64), ts(), Integer.MAX_VALUE);
    }

    private void usersAndProviders() throws SQLException {
      String oidc = "providername, clientid, clientsecret, authorizationurl, tokenurl, userinfourl, scope, buttoncolor, "
        + "buttontext, buttontextcolor, iconsvg, enabled, created, modified, nameclaim, emailclaim, usernameclaim, "
        + "rolesclaim, userrole, adminrole, initializedfromenv";
      providers.add(insertId("OIDCProviders", "providerid", oidc, "Authentik 🔐", "pinepods", "s3cr3t\\",
        "https://auth.example.com/authorize", "https://auth.example.com/token", "https://auth.example.com/userinfo",
        "openid email profile", "#fd4b2d", "Sign in with \"Authentik\"", "#ffffff",
        "<svg xmlns=\"http://www.w3.org/2000/svg\">\n\t<path d='M0 0h24v24H0z'/>\n</svg>", true, ts(), ts(),
        "name", "email", "preferred_username", "groups", "pinepods-users", "pinepods-admins", true));
      providers.add(insertId("OIDCProviders", "providerid", oidc, "Keycloak", "client", "x", "https://kc/a",
        "https://kc/t", "https://kc/u", null, null, "Keycloak", null, null, null, null, null, null, null, null,
        null, null, null, null));
      String cols = "fullname, username, email, hashed_pw, isadmin, reset_code, reset_expiry, mfa_secret, timezone, "
        + "timeformat, dateformat, firstlogin, gpodderurl, pod_sync_type, gpodderloginname, gpoddertoken, "
        + "enablerssfeeds, auth_type, oidc_provider_id, oidc_subject, playbackspeed, autodownloaddeletedays, "
        + "defaultvolume, lastsynctime, defaultgpodderdevice, language, usepodcastcovers";
      users.add(insertId("Users", "userid", cols, "Background Tasks", "background_tasks", "inactive", "not-a-hash",
        false, null, null, null, "UTC", 24, "ISO", false, "", "None", "", "", false, "standard", null, null,
        new BigDecimal("1.0"), 0, 100, null, null, "en", false));
      users.add(insertId("Users", "userid", cols, UNICODE, "ünïcödé_播客_🎧", "ü@例え.jp", "$argon2id$v=19$not-real",
        true, QUOTES, micros(2026, 1, 2), "JBSWY3DPEHPK3PXP", "Asia/Kolkata", 12, "DMY", true,
        "https://gpodder.example.com/path?q=1&r=\\", "gpodder", "login\tname", TRAILING_BACKSLASH, true, "standard",
        null, null, new BigDecimal("9.9"), 30, 0,
        OffsetDateTime.of(2025, 3, 30, 1, 30, 15, 123_456_000, ZoneOffset.ofHoursMinutes(5, 30)),
        "device \"one\"", "zh", true));
      users.add(insertId("Users", "userid", cols, "Seán O'Brien", "o'brien", "sean@example.com", NEWLINES, false,
        null, null, null, "Pacific/Marquesas", 24, "MDY", false, "", "nextcloud", "", "", false, "oidc",
        providers.get(0), "sub|1234\\", new BigDecimal("0.5"), -1, 2_147_483_647,
        OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 1_000, ZoneOffset.ofHoursMinutes(-9, -30)), null, "pt-BR", null));
      users.add(insertId("Users", "userid", cols, null, "nullable_everything", null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        OffsetDateTime.of(2038, 1, 19, 3, 14, 7, 999_999_000, ZoneOffset.ofHours(14)), null, null, null));
    }

    private void library() throws SQLException {
      podcasts();
      episodes();
      videos();
    }

    private void podcasts() throws SQLException {
      String cols = "podcastindexid, podcastname, artworkurl, author, categories, description, episodecount, feedurl, "
        + "websiteurl, explicit, userid, autodownload, autoqueue, startskip, endskip, username, password, "
        + "isyoutubechannel, notificationsenabled, feedcutoffdays, playbackspeed, playbackspeedcustomized, "
        + "autodownloaddeletedays, autodownloaddeletecustomized, ignorepodcastindex, displaypodcast, refreshpodcast, "
        + "mergedpodcastids, usepodcastcovers, usepodcastcoverscustomized, autoplaynext, isfavorite, feedetag, "
        + "feedlastmodified, lastrefreshattempt, lastrefreshsuccess, consecutivefailures, lasterrormessage, "
        + "trimsilence, silencethreshold, autotranscribe, autoaddetect, adskipautoactivate";
      String feed = "https://feeds.example.com/播客.xml?a=1&b=\"2\"";
      podcasts.add(insertId("Podcasts", "podcastid", cols, 920_153, UNICODE, "https://img.example.com/a b.png",
        QUOTES, "{\"1\": \"Technology\", \"2\": \"Ünïcödé\"}", BACKSLASHES + NEWLINES, 12, feed,
        "https://example.com/", true, users.get(1), true, false, 30, 45, "feed\tuser", TRAILING_BACKSLASH, false,
        true, 365, new BigDecimal("9.9"), true, 7, true, false, true, true, "[2, 3]", true, false, true, true,
        "W/\"etag\\\"", "Wed, 21 Oct 2015 07:28:00 GMT", ts(), ts(), 0, null, true, 2, true, false, true));
      podcasts.add(insertId("Podcasts", "podcastid", cols, -1, END_MARKER, null, "Seán", "{}", TABS, 0, feed,
        null, false, users.get(2), false, true, 0, 0, null, null, false, false, 0, new BigDecimal("0.5"), false, 0,
        false, true, false, false, null, false, false, false, false, null, null, null, null, 2_147_483_647,
        "HTTP 500:\n" + QUOTES, false, 0, false, true, false));
      podcasts.add(insertId("Podcasts", "podcastid", cols, null, "YouTube: 🎬 channel", "https://yt.example.com/c.jpg",
        "Channel", "{\"1\": \"Video\"}", "", 3, "https://www.youtube.com/channel/UC" + hex(22), null, null,
        users.get(1), false, false, 0, 0, null, null, true, false, 30, new BigDecimal("0.1"), true, 0, false, true,
        true, true, null, false, false, false, false, null, null, ts(), null, 3, TRAILING_BACKSLASH, false, 2,
        false, false, true));
      podcasts.add(insertId("Podcasts", "podcastid", cols, nulls(43)));
    }

    private void episodes() throws SQLException {
      String cols = "podcastid, episodetitle, episodedescription, episodeurl, episodeartwork, episodepubdate, "
        + "episodeduration, completed, is_video, episodeguid, silencedetected, adsdetected";
      episodes.add(insertId("Episodes", "episodeid", cols, podcasts.get(0), UNICODE, longText(),
        "https://cdn.example.com/ep 1.mp3?sig=a%2Fb&x=\"y\"", "https://img.example.com/ep1.jpg",
        micros(2024, 2, 29), Integer.MAX_VALUE, true, false, "urn:uuid:" + hex(32), false, true));
      episodes.add(insertId("Episodes", "episodeid", cols, podcasts.get(0), END_MARKER, NEWLINES + TABS,
        "https://cdn.example.com/ep2.mp3", null, LocalDateTime.of(2000, 1, 1, 0, 0, 0, 1_000), 0, false, true,
        "guid-2", true, false));
      episodes.add(insertId("Episodes", "episodeid", cols, podcasts.get(1), QUOTES, BACKSLASHES,
        "https://cdn.example.com/ep3.mp3", "", LocalDateTime.of(-43, 3, 15, 12, 0, 0, 500_000_000), -1, null,
        null, QUOTES, null, null));
      episodes.add(insertId("Episodes", "episodeid", cols, podcasts.get(1), TRAILING_BACKSLASH, "", ROW_SYNTAX,
        TRAILING_BACKSLASH, LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000), Integer.MIN_VALUE, true,
        true, "\\.", false, false));
      episodes.add(insertId("Episodes", "episodeid", cols, nulls(12)));
    }

    private void videos() throws SQLException {
      String cols = "podcastid, videotitle, videodescription, videourl, thumbnailurl, publishedat, duration, "
        + "youtubevideoid, completed, listenposition";
      int channel = podcasts.get(2);
      videos.add(insertId("YouTubeVideos", "videoid", cols, channel, "🎥 " + UNICODE, NEWLINES + END_MARKER,
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://i.ytimg.com/vi/dQw4w9WgXcQ/hq.jpg", ts(), 212,
        "dQw4w9WgXcQ", false, 61));
      videos.add(insertId("YouTubeVideos", "videoid", cols, channel, QUOTES, BACKSLASHES, TRAILING_BACKSLASH,
        null, ts(), 0, "-_-_-_-_-_-", true, Integer.MAX_VALUE));
      videos.add(insertId("YouTubeVideos", "videoid", cols, nulls(10)));
    }

    private void episodeState() throws SQLException {
      int u2 = users.get(1);
      int u3 = users.get(2);
      String history = "userid, episodeid, listendate, listenduration";
      insert("UserEpisodeHistory", history, u2, episodes.get(0), ts(), 3_600);
      insert("UserEpisodeHistory", history, u2, episodes.get(1), null, null);
      insert("UserEpisodeHistory", history, u3, episodes.get(0), ts(), 0);
      insert("UserVideoHistory", history.replace("episodeid", "videoid"), u2, videos.get(0), ts(), 61);
      insert("UserVideoHistory", history.replace("episodeid", "videoid"), u3, videos.get(1), null, null);
      String saved = "userid, episodeid, savedate";
      insert("SavedEpisodes", saved, u2, episodes.get(0), ts());
      insert("SavedEpisodes", saved, null, null, null);
      insert("SavedVideos", saved.replace("episodeid", "videoid"), u2, videos.get(0), ts());
      insert("SavedVideos", saved.replace("episodeid", "videoid"), u3, videos.get(1), null);
      String downloaded = "userid, episodeid, downloadeddate, downloadedsize, downloadedlocation";
      insert("DownloadedEpisodes", downloaded, u2, episodes.get(0), ts(), Integer.MAX_VALUE,
        "/opt/pinepods/downloads/播客/" + QUOTES + "/ep\\1.mp3");
      insert("DownloadedEpisodes", downloaded, u3, episodes.get(2), null, null, null);
      insert("DownloadedVideos", downloaded.replace("episodeid", "videoid"), u2, videos.get(0), ts(), 0,
        "C:\\Downloads\\video.mp4");
      insert("DownloadedVideos", downloaded.replace("episodeid", "videoid"), u3, videos.get(1), null, -1, TABS);
      String queue = "queuedate, userid, episodeid, queueposition, is_youtube";
      insert("EpisodeQueue", queue, ts(), u2, episodes.get(0), 1, false);
      insert("EpisodeQueue", queue, ts(), u2, videos.get(0), 2, true);
      insert("EpisodeQueue", queue, null, u3, episodes.get(3), 0, null);
      String shared = "episodeid, sharedby, sharedwith, sharecode, expirationdate";
      insert("SharedEpisodes", shared, episodes.get(0), u2, u3, "share-" + hex(16), ts());
      insert("SharedEpisodes", shared, episodes.get(1), u3, null, null, null);
      skipSegments();
      transcripts();
    }

    private void skipSegments() throws SQLException {
      String cols = "episodeid, videoid, kind, starttime, endtime, source, createdat";
      segments.add(insertId("EpisodeSkipSegments", "segmentid", cols, episodes.get(0), null, "ad", 1.0E-300,
        123456.789012345, "generated", ts()));
      segments.add(insertId("EpisodeSkipSegments", "segmentid", cols, null, videos.get(0), "intro", -0.0,
        Double.POSITIVE_INFINITY, "sponsorblock", ts()));
      segments.add(insertId("EpisodeSkipSegments", "segmentid", cols, episodes.get(1), null, "outro", Double.NaN,
        Double.MIN_VALUE, "chapters", ts()));
      segments.add(insertId("EpisodeSkipSegments", "segmentid", cols, episodes.get(1), null, "ad", Double.MAX_VALUE,
        -Double.MAX_VALUE, "manual", ts()));
      String review = "userid, segmentid, status, createdat";
      insert("EpisodeAdSkipReview", review, users.get(1), segments.get(0), "approved", ts());
      insert("EpisodeAdSkipReview", review, users.get(2), segments.get(0), "rejected", ts());
      insert("EpisodeAdSkipReview", review, users.get(1), segments.get(3), "pending", ts());
    }

    private void transcripts() throws SQLException {
      String cols = "episodeid, videoid, source, language, model, transcripttext, segments, status, createdat";
      insert("EpisodeTranscripts", cols, episodes.get(0), null, "generated", "zh", "whisper-large-v3",
        UNICODE + NEWLINES + END_MARKER, jsonb(SEGMENTS_JSON), "complete", ts());
      insert("EpisodeTranscripts", cols, null, videos.get(0), "podcast:transcript", null, null, null, null,
        "failed", ts());
      insert("EpisodeTranscripts", cols, episodes.get(1), null, "srt", "en", null, "", jsonb("[]"), "pending", ts());
    }

    private void lists() throws SQLException {
      int u2 = users.get(1);
      int u3 = users.get(2);
      String collections = "userid, name, description, isdefault, icon, createdat, lastupdated, autoaddcategories";
      int saved = insertId("Collections", "collectionid", collections, u2, "Saved", null, true, "ph-bookmark-simple",
        ts(), ts(), null);
      int custom = insertId("Collections", "collectionid", collections, u2, UNICODE, QUOTES + NEWLINES, false,
        "ph-star", ts(), ts(), "Technology,Ünïcödé");
      insert("Collections", collections, u3, "Saved", "", true, "ph-bookmark-simple", ts(), ts(), "");
      String members = "collectionid, episodeid, videoid, addedat";
      insert("CollectionEpisodes", members, saved, episodes.get(0), null, ts());
      insert("CollectionEpisodes", members, custom, null, videos.get(0), null);
      String playlists = "userid, name, description, issystemplaylist, podcastids, includeunplayed, "
        + "includepartiallyplayed, includeplayed, minduration, maxduration, sortorder, groupbypodcast, maxepisodes, "
        + "playprogressmin, playprogressmax, timefilterhours, lastupdated, created, iconname, episodecount";
      int fresh = insertId("Playlists", "playlistid", playlists, users.get(0), "Fresh Releases", "Newest episodes",
        true, intArray(podcasts.get(0), podcasts.get(1), podcasts.get(2), -1, Integer.MAX_VALUE, podcasts.get(0)),
        true, false, false, 0, Integer.MAX_VALUE, "date_desc", true, 100, 1.0E-300, 99.99999999999999, 24, ts(),
        ts(), "ph-sparkle", 3);
      insert("Playlists", playlists, u2, UNICODE, TABS, false, intArray(), false, true, true, null, null,
        "listen_progress", false, null, -0.0, 0.0, null, ts(), ts(), "ph-playlist", null);
      int nullFilter = insertId("Playlists", "playlistid", playlists, u3, QUOTES, null, false, null, true, true,
        false, 300, 300, "completion", false, 0, null, 100.0, null, ts(), ts(), "ph-list", 0);
      String contents = "playlistid, episodeid, videoid, position, dateadded";
      insert("PlaylistContents", contents, fresh, episodes.get(0), null, 1, ts());
      insert("PlaylistContents", contents, nullFilter, null, videos.get(1), null, null);
    }

    private void gpodder() throws SQLException {
      int u2 = users.get(1);
      int u3 = users.get(2);
      String cols = "userid, devicename, devicetype, devicecaption, isdefault, lastsync, isactive";
      devices.add(insertId("GpodderDevices", "deviceid", cols, u2, "pinepods_web", "desktop", "PinePods Web", true,
        ts(), true));
      devices.add(insertId("GpodderDevices", "deviceid", cols, u2, "phone 📱", "mobile", QUOTES, false, ts(), false));
      devices.add(insertId("GpodderDevices", "deviceid", cols, u3, "laptop", null, null, null, null, null));
      int d1 = devices.get(0);
      int d2 = devices.get(1);
      int d3 = devices.get(2);
      String pairs = "userid, deviceid1, deviceid2, createdat";
      insert("GpodderSyncDevicePairs", pairs, u2, d1, d2, ts());
      insert("GpodderSyncDevicePairs", pairs, u2, d2, d1, null);
      String state = "userid, deviceid, subscriptioncount, lastupdated";
      insert("GpodderSyncDeviceState", state, u2, d1, 3, ts());
      insert("GpodderSyncDeviceState", state, u3, d3, null, null);
      String sync = "userid, deviceid, lasttimestamp, episodestimestamp";
      insert("GpodderSyncState", sync, u2, d1, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1);
      insert("GpodderSyncState", sync, u3, d3, null, 0L);
      String actions = "userid, deviceid, podcasturl, episodeurl, action, timestamp, started, position, total";
      insert("GpodderSyncEpisodeActions", actions, u2, d1, "https://feeds.example.com/播客.xml",
        "https://cdn.example.com/ep 1.mp3", "play", Long.MAX_VALUE, 0, 1_234, 3_600);
      insert("GpodderSyncEpisodeActions", actions, u2, null, TRAILING_BACKSLASH, QUOTES, "download", Long.MIN_VALUE,
        null, null, null);
      insert("GpodderSyncEpisodeActions", actions, u3, d3, "a", "b", "delete", 0L, -1, Integer.MIN_VALUE,
        Integer.MAX_VALUE);
      String subs = "userid, deviceid, podcasturl, action, timestamp";
      insert("GpodderSyncSubscriptions", subs, u2, d1, "https://feeds.example.com/播客.xml", "add", 1_720_000_000_123L);
      insert("GpodderSyncSubscriptions", subs, u2, d2, NEWLINES, "remove", -9_223_372_036_854_775_807L);
      gpodderListsAndSettings(u2, u3, d1);
    }

    private void gpodderListsAndSettings(int u2, int u3, int d1) throws SQLException {
      String lists = "userid, name, title, createdat";
      int list = insertId("GpodderSyncPodcastLists", "listid", lists, u2, "favourites", UNICODE, ts());
      insert("GpodderSyncPodcastLists", lists, u3, "empty \\ list", QUOTES, null);
      String entries = "listid, podcasturl, createdat";
      insert("GpodderSyncPodcastListEntries", entries, list, "https://feeds.example.com/a.xml", ts());
      insert("GpodderSyncPodcastListEntries", entries, list, END_MARKER, null);
      String settings = "userid, scope, deviceid, podcasturl, episodeurl, settingkey, settingvalue, createdat, "
        + "lastupdated, apiversion";
      insert("GpodderSyncSettings", settings, u2, "device", d1, null, null, "auto_download", "true", ts(), ts(), "2.0");
      insert("GpodderSyncSettings", settings, u3, "episode", null, "https://feeds.example.com/a.xml",
        "https://cdn.example.com/e.mp3", "note", "{\"nested\": \"json\\\\ in text\"}\n", null, null, null);
      String sessions = "userid, sessiontoken, createdat, expiresat, lastactive, useragent, clientip";
      insert("GpodderSessions", sessions, u2, hex(64), ts(), LocalDateTime.MAX, ts(), "AntennaPod/3.4 (Linux; 📱)",
        "::1");
      insert("GpodderSessions", sessions, u3, hex(64), null, LocalDateTime.MIN, null, null, null);
      String snapshot = "userid, synctarget, feedurl";
      insert("GpodderSubscriptionSnapshot", snapshot, u2, "gpodder", "https://feeds.example.com/播客.xml");
      insert("GpodderSubscriptionSnapshot", snapshot, u2, "nextcloud", TRAILING_BACKSLASH);
    }

    private void accounts() throws SQLException {
      int u2 = users.get(1);
      int u3 = users.get(2);
      String keys = "userid, apikey, created";
      insert("APIKeys", keys, users.get(0), hex(64), ts());
      insert("APIKeys", keys, u2, hex(64), null);
      insert("APIKeys", keys, null, null, null);
      String sessions = "userid, sessiontoken, expirationtime, isactive";
      insert("Sessions", sessions, u2, hex(64), ts(), true);
      insert("Sessions", sessions, u3, hex(64), LocalDateTime.MAX, null);
      String rss = "userid, rsskey, created";
      int key1 = insertId("RssKeys", "rsskeyid", rss, u2, hex(32), ts());
      int key2 = insertId("RssKeys", "rsskeyid", rss, u3, null, null);
      String map = "rsskeyid, podcastid";
      insert("RssKeyMap", map, key1, -1);
      insert("RssKeyMap", map, key2, podcasts.get(1));
      insert("RssKeyMap", map, key2, podcasts.get(1));
      insert("RssKeyMap", map, null, null);
      String user = "userid, theme, startpage, autocompleteseconds, collection_add_ui";
      insert("UserSettings", user, u2, "Dracula 🧛", "podcasts", 30, "dropdown");
      insert("UserSettings", user, u3, null, null, null, null);
      String stats = "userid, usercreated, podcastsplayed, timelistened, podcastsadded, episodessaved, "
        + "episodesdownloaded";
      insert("UserStats", stats, u2, ts(), 12, Integer.MAX_VALUE, 3, 1, 1);
      insert("UserStats", stats, u3, null, null, null, null, null, null);
      notificationSettings(u2, u3);
      String backups = "userid, cron_schedule, enabled, created_at, updated_at, retention_count, last_run";
      insert("ScheduledBackups", backups, u2, "0 3 * * *", true, ts(), ts(), 7, ts());
      insert("ScheduledBackups", backups, u3, "*/5 * * * *", false, null, null, null, null);
    }

    private void notificationSettings(int u2, int u3) throws SQLException {
      String cols = "userid, platform, enabled, ntfytopic, ntfyserverurl, gotifyurl, gotifytoken, created_at, "
        + "updated_at, ntfyusername, ntfypassword, ntfyaccesstoken, httpurl, httptoken, httpmethod";
      insert("UserNotificationSettings", cols, u2, "ntfy", true, "pinepods-播客", "https://ntfy.sh", null, null,
        ts(), ts(), "user", QUOTES, TRAILING_BACKSLASH, null, null, "POST");
      insert("UserNotificationSettings", cols, u2, "http", false, null, null, "https://gotify.example.com",
        "token\t", null, null, null, null, null, "https://hooks.example.com/x?y=1", hex(16), "PUT");
      insert("UserNotificationSettings", cols, u3, "gotify", null, null, null, null, null, null, null, null, null,
        null, null, null, null);
    }

    private void misc() throws SQLException {
      int u2 = users.get(1);
      int u3 = users.get(2);
      String themes = "userid, name, background_color, button_color, container_button_color, button_text_color, "
        + "text_color, text_secondary_color, border_color, accent_color, prog_bar_color, error_color, bonus_color, "
        + "secondary_background, container_background, standout_color, hover_color, link_color, thumb_color, "
        + "unfilled_color, check_box_color";
      insert("CustomThemes", themes, u2, "Nord ❄️ " + QUOTES, "#2E3440", "#3B4252", "#434C5E", "#ECEFF4",
        "#E5E9F0", "#D8DEE9", "#4C566A", "#88C0D0", "#81A1C1", "#BF616A", "#A3BE8C", "#3B4252", "#434C5E",
        "#8FBCBB", "#5E81AC", "#88C0D0", "#81A1C1", "#4C566A", "#ECEFF4");
      insert("CustomThemes", "userid, name, container_button_color", u3, TRAILING_BACKSLASH, "#000000");
      String people = "name, personimg, peopledbid, associatedpodcasts, userid";
      int person = insertId("People", "personid", people, "Seán O'Brien 🎙️", "https://img.example.com/p.jpg",
        Integer.MIN_VALUE, "1,2,3", u2);
      insert("People", people, null, null, null, null, null);
      String peopleEpisodes = "personid, podcastid, episodetitle, episodedescription, episodeurl, episodeartwork, "
        + "episodepubdate, episodeduration, addeddate";
      insert("PeopleEpisodes", peopleEpisodes, person, podcasts.get(0), UNICODE, END_MARKER,
        "https://cdn.example.com/guest.mp3", null, ts(), 5_400, ts());
      insert("PeopleEpisodes", peopleEpisodes, null, null, null, null, null, null, null, null, null);
      String cache = "userid, generatedat, resultsjson";
      insert("RecommendationCache", cache, u2, ts(), "[{\"title\": \"播客\", \"score\": 0.5e-3}]");
      insert("RecommendationCache", cache, u3, ts(), "");
    }

    /** A random instant between 2015 and 2026, at microsecond precision. */
    private LocalDateTime ts() {
      return EPOCH.plusNanos(rnd.nextLong(SPAN_MICROS) * 1_000);
    }

    private String hex(int length) {
      StringBuilder sb = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        sb.append(Character.forDigit(rnd.nextInt(16), 16));
      }
      return sb.toString();
    }

    /** Over 1 MB of words with every nasty string sprinkled in, ending in a backslash. */
    private String longText() {
      StringBuilder sb = new StringBuilder(1_200_000);
      while (sb.length() < 1_100_000) {
        sb.append(word(rnd));
        sb.append(rnd.nextInt(50) == 0 ? NASTY.get(rnd.nextInt(NASTY.size())) : " ");
      }
      return sb.append(TRAILING_BACKSLASH).toString();
    }

    private Array intArray(Integer... values) throws SQLException {
      return c.createArrayOf("integer", values);
    }

    private void insert(String table, String columns, Object... values) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(insertSql(table, columns, values.length))) {
        bind(ps, values);
        ps.executeUpdate();
      }
    }

    private int insertId(String table, String idColumn, String columns, Object... values) throws SQLException {
      String sql = insertSql(table, columns, values.length) + " RETURNING " + idColumn;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        bind(ps, values);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    }
  }

  /** A transcript's segments: nesting, unicode, escapes, numbers at the edges and every JSON type. */
  private static final String SEGMENTS_JSON = """
    [
      {"start": 0.0, "end": 1.5e-7, "speaker": {"name": "Seán \\"the host\\"", "tags": ["intro", "🎙️", null]},
       "text": "播客 Ünïcödé \\u00e9\\ud83c\\udfa7 tab\\there new\\nline back\\\\slash end \\\\.", "words": []},
      {"start": 1e308, "end": -0, "confidence": 0.999999999999, "flags": {"music": true, "ad": false},
       "nested": {"deeper": {"deepest": [[1, [2, [3, {"k": "v"}]]], {}]}}, "text": ""},
      {"start": -12345678901234567890, "text": "שלום عربى Ελληνικά", "empty": {}, "quote'single": "it's"}
    ]""";

  private static PGobject jsonb(String json) throws SQLException {
    PGobject value = new PGobject();
    value.setType("jsonb");
    value.setValue(json);
    return value;
  }

  private static LocalDateTime micros(int year, int month, int day) {
    return LocalDateTime.of(year, month, day, 23, 59, 59, 987_654_000);
  }

  private static Object[] nulls(int count) {
    return Collections.nCopies(count, null).toArray();
  }

  private static String insertSql(String table, String columns, int count) {
    String marks = String.join(", ", Collections.nCopies(count, "?"));
    return "INSERT INTO " + quote(table) + " (" + columns + ") VALUES (" + marks + ")";
  }

  private static void bind(PreparedStatement ps, Object[] values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        ps.setNull(i + 1, Types.NULL);
      } else {
        ps.setObject(i + 1, values[i]);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // The bulk data set

  /**
   * Adds a PinePods-shaped bulk data set: {@value #BULK_USERS} users, {@value #BULK_PODCASTS} podcasts,
   * {@code episodes} episodes and {@code historyRows} listening-history rows, plus a few rows in the other
   * main tables. Everything is generated server-side by {@code INSERT ... SELECT} over
   * {@code generate_series}, with text made deterministically from the row number, so it is fast and the
   * same every time. The rows satisfy every foreign key by construction, so they are written with
   * {@code session_replication_role = replica} (as PinePods' own restore does; needs a superuser): the
   * per-row FK triggers would otherwise lock every referenced row and take longer than all the rest.
   * Ends with {@code ANALYZE}.
   */
  public static void fillLarge(Connection c, int episodes, int historyRows) throws SQLException {
    int perUser = (historyRows + BULK_USERS - 1) / BULK_USERS;
    if (episodes < 1 || perUser > episodes) {
      throw new IllegalArgumentException("need 1 <= episodes and historyRows <= " + BULK_USERS + " x episodes");
    }
    String role = single(c, "SELECT current_setting('session_replication_role')");
    execute(c, "SET session_replication_role = replica");
    try {
      Corpus corpus = Corpus.build();
      int userBase = bulkInsert(c, "Users", "userid", BULK_USERS, BULK_USERS_SQL);
      int podcastBase = bulkInsert(c, "Podcasts", "podcastid", BULK_PODCASTS, BULK_PODCASTS_SQL,
        topics(c), corpus.bytes(), corpus.offsets(c), episodes, BULK_PODCASTS, userBase, BULK_USERS);
      int episodeBase = bulkInsert(c, "Episodes", "episodeid", episodes, BULK_EPISODES_SQL,
        topics(c), corpus.bytes(), corpus.offsets(c), podcastBase, BULK_PODCASTS);
      execute(c, BULK_HISTORY_SQL, userBase, perUser, episodeBase, episodes / perUser, episodes, historyRows);
      for (String sql : BULK_EXTRAS_SQL) {
        execute(c, sql, userBase);
      }
    } finally {
      execute(c, "SELECT set_config('session_replication_role', ?, false)", role);
    }
    execute(c, "ANALYZE");
  }

  /**
   * {@value #SENTENCES} generated sentences as one ASCII byte string with their start offsets. A sentence
   * is a {@code bytea} substring, found in constant time; subscripting a {@code text[]} walks the array
   * element by element and made picking sentences the slowest part of the load.
   */
  private record Corpus(byte[] bytes, Integer[] starts) {

    static Corpus build() {
      Random rnd = new Random(20_240_229L);
      StringBuilder sb = new StringBuilder();
      Integer[] starts = new Integer[SENTENCES + 1];
      for (int i = 0; i < SENTENCES; i++) {
        starts[i] = sb.length();
        int words = 8 + rnd.nextInt(23);
        for (int w = 0; w < words; w++) {
          String word = word(rnd);
          sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
          sb.append(w == words - 1 ? ". " : rnd.nextInt(12) == 0 ? ", " : " ");
        }
      }
      starts[SENTENCES] = sb.length();
      return new Corpus(sb.toString().getBytes(StandardCharsets.US_ASCII), starts);
    }

    Array offsets(Connection c) throws SQLException {
      return c.createArrayOf("integer", starts);
    }
  }

  /** A word for prose: function words and topics in roughly the mix of real text. */
  private static String word(Random rnd) {
    return rnd.nextInt(5) < 3 ? COMMON[rnd.nextInt(COMMON.length)] : TOPICS[rnd.nextInt(TOPICS.length)];
  }

  /** SQL for sentence number {@code k} (0-based) of the corpus as bytea; see {@link Corpus}. */
  private static String sentence(String k) {
    return "substring(corpus FROM o[1 + (" + k + ")] + 1 FOR o[2 + (" + k + ")] - o[1 + (" + k + ")])";
  }

  /** SQL for {@code count} pseudo-random sentences for row {@code i}, cut to {@code bytes} and made text. */
  private static String prose(int count, String bytes) {
    List<String> picks = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      picks.add(sentence("(i * " + SCATTER[n] + " + " + n + ") % ns"));
    }
    return "convert_from(substring(" + String.join(" || ", picks) + " FROM 1 FOR " + bytes + "), 'UTF8')";
  }

  /** Multipliers that scatter consecutive row numbers over the corpus, one per sentence of a text. */
  private static final int[] SCATTER = {1, 7919, 104_729, 1_299_709, 15_485_863, 179_424_673, 275_604_541,
    373_587_883};

  /** Parameter: rows. */
  private static final String BULK_USERS_SQL = """
    INSERT INTO "Users" (fullname, username, email, hashed_pw, isadmin, timezone, timeformat, dateformat,
      firstlogin, pod_sync_type, auth_type, playbackspeed, lastsynctime, language)
    SELECT 'Listener ' || i, 'listener_' || i, 'listener' || i || '@example.com',
      '$argon2id$v=19$m=65536,t=3,p=4$' || md5('salt' || i) || '$' || md5('hash' || i), i = 1,
      (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + i % 4],
      CASE WHEN i % 3 = 0 THEN 12 ELSE 24 END, 'ISO', false, 'None', 'standard', 1.0 + (i % 5) * 0.2,
      timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour 1.000001 seconds', 'en'
    FROM generate_series(1, ?) i""";

  /** The row source shared by podcasts and episodes; parameters: topics, corpus, sentence offsets. */
  private static final String BULK_SOURCE = """
    (SELECT ?::text[] AS w, ?::bytea AS corpus, ?::int[] AS o) a,
      LATERAL (SELECT cardinality(a.w)::bigint AS nw, cardinality(a.o)::bigint - 1 AS ns) n""";

  /** Parameters: topics, corpus, offsets, episodes, podcasts, first user id, users, rows. */
  private static final String BULK_PODCASTS_SQL = """
    INSERT INTO "Podcasts" (podcastindexid, podcastname, artworkurl, author, categories, description, episodecount,
      feedurl, websiteurl, explicit, userid, autodownload, playbackspeed, feedetag, lastrefreshattempt,
      lastrefreshsuccess)
    SELECT 100000 + i,
      initcap(w[1 + i % nw]) || ' ' || initcap(w[1 + (i * 7 + 3) % nw]) || ' '
        || (ARRAY['Show', 'Podcast', 'Radio', 'Hour', 'Talk'])[1 + i % 5],
      'https://img.example.com/artwork/' || md5('art' || i) || '.jpg',
      initcap(w[1 + (i * 11) % nw]) || ' ' || initcap(w[1 + (i * 13 + 5) % nw]) || ' Media',
      '{"1": "' || initcap(w[1 + (i * 17) % nw]) || '", "2": "Technology"}', $PROSE,
      e / p + CASE WHEN i < e % p THEN 1 ELSE 0 END,
      'https://feeds.example.com/' || md5('feed' || i) || '/rss.xml', 'https://www.example.com/shows/' || i,
      i % 7 = 0, u0 + i % nu, i % 3 = 0, 1.0 + (i % 3) * 0.5, '"' || md5('etag' || i) || '"',
      timestamp '2026-01-01 00:00:00' + i * interval '1.000001 seconds',
      timestamp '2026-01-01 00:00:00' + i * interval '1.000001 seconds'
    FROM $SOURCE,
      (SELECT ?::bigint AS e, ?::bigint AS p, ?::int AS u0, ?::int AS nu) b,
      generate_series(0::bigint, ? - 1) i"""
    .replace("$SOURCE", BULK_SOURCE).replace("$PROSE", prose(3, "1000"));

  /** Parameters: topics, corpus, offsets, first podcast id, podcasts, rows. */
  private static final String BULK_EPISODES_SQL = """
    INSERT INTO "Episodes" (podcastid, episodetitle, episodedescription, episodeurl, episodeartwork,
      episodepubdate, episodeduration, completed, is_video, episodeguid, silencedetected, adsdetected)
    SELECT base + i % p,
      initcap(w[1 + i % nw]) || ' ' || w[1 + (i * 7 + 1) % nw] || ' and the ' || w[1 + (i * 13 + 2) % nw]
        || ' of ' || initcap(w[1 + (i * 31 + 3) % nw]) || ': ' || initcap(w[1 + (i / nw) % nw])
        || ' (part ' || (1 + i % 12) || ')',
      $PROSE || ' ' || md5(i::text),
      'https://media.example.com/' || md5('feed' || (i % p)) || '/' || md5('ep' || i) || '.mp3',
      'https://img.example.com/episodes/' || md5('art' || (i % p)) || '.jpg',
      timestamp '2010-01-01 00:00:00' + i * interval '8 minutes 17.123457 seconds',
      60 + (i * 7919) % 7140, i % 4 = 0, i % 50 = 0, md5('guid' || i)::uuid::text, i % 9 = 0, i % 10 = 0
    FROM $SOURCE,
      (SELECT ?::int AS base, ?::bigint AS p) b,
      generate_series(0::bigint, ? - 1) i"""
    .replace("$SOURCE", BULK_SOURCE).replace("$PROSE", prose(8, "(300 + (i * 37) % 1201)::int"));

  /**
   * User-major, so each user's episode ids rise and the indexes fill almost sequentially; user u listens
   * to episodes offset_u, offset_u + step, ... (mod episodes), which never repeats within the user.
   * Parameters: first user id, rows per user, first episode id, step, episodes, rows.
   */
  private static final String BULK_HISTORY_SQL = """
    INSERT INTO "UserEpisodeHistory" (userid, episodeid, listendate, listenduration)
    SELECT a.u0 + (j / a.per)::int, a.e0 + (((j / a.per) * 7919 + (j % a.per) * a.step) % a.ne)::int,
      timestamp '2020-01-01 00:00:00' + j * interval '97.123457 seconds', ((j * 7919) % 3600)::int
    FROM (SELECT ?::int AS u0, ?::bigint AS per, ?::int AS e0, ?::bigint AS step, ?::bigint AS ne) a,
      generate_series(0::bigint, ? - 1) j""";

  /** A few rows in the other main tables, derived from the bulk users and history; parameter: first user id. */
  private static final List<String> BULK_EXTRAS_SQL = List.of("""
    INSERT INTO "UserSettings" (userid, theme, startpage, autocompleteseconds, collection_add_ui)
    SELECT userid, (ARRAY['Nordic', 'Dracula', 'Light'])[1 + userid % 3], 'home', userid % 60, 'modal'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "UserStats" (userid, usercreated, podcastsplayed, timelistened, podcastsadded, episodessaved,
      episodesdownloaded)
    SELECT u.userid, timestamp '2019-06-01 12:00:00' + u.userid * interval '1 day 0.000001 seconds',
      count(h.*), coalesce(sum(h.listenduration), 0), 40, 0, 0
    FROM "Users" u LEFT JOIN "UserEpisodeHistory" h ON h.userid = u.userid
    WHERE u.userid >= ? GROUP BY u.userid""", """
    INSERT INTO "Playlists" (userid, name, description, podcastids, minduration, maxduration, sortorder,
      playprogressmin, playprogressmax, lastupdated, created, episodecount)
    SELECT u.userid, 'Short ones ' || u.userid, 'Episodes under twenty minutes',
      ARRAY(SELECT podcastid FROM "Podcasts" WHERE userid = u.userid ORDER BY podcastid LIMIT 5), 0, 1200,
      'duration_asc', 0, 50.5, timestamp '2025-05-05 05:05:05.050505', timestamp '2024-04-04 04:04:04.040404', 0
    FROM "Users" u WHERE u.userid >= ?""", """
    INSERT INTO "Collections" (userid, name, description, isdefault, createdat, lastupdated)
    SELECT userid, 'Saved', NULL, true, timestamp '2024-01-01 00:00:00.000001', timestamp '2024-01-02 00:00:00.000002'
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "SavedEpisodes" (userid, episodeid, savedate)
    SELECT userid, episodeid, listendate FROM "UserEpisodeHistory"
    WHERE userid >= ? AND userepisodehistoryid % 40 = 0""", """
    INSERT INTO "CollectionEpisodes" (collectionid, episodeid, addedat)
    SELECT c.collectionid, s.episodeid, s.savedate
    FROM "SavedEpisodes" s JOIN "Collections" c ON c.userid = s.userid AND c.isdefault
    WHERE s.userid >= ?""", """
    INSERT INTO "DownloadedEpisodes" (userid, episodeid, downloadeddate, downloadedsize, downloadedlocation)
    SELECT userid, episodeid, listendate, 10000000 + episodeid % 90000000,
      '/opt/pinepods/downloads/' || userid || '/' || episodeid || '.mp3'
    FROM "UserEpisodeHistory" WHERE userid >= ? AND userepisodehistoryid % 100 = 0""", """
    INSERT INTO "EpisodeQueue" (queuedate, userid, episodeid, queueposition, is_youtube)
    SELECT listendate, userid, episodeid, row_number() OVER (PARTITION BY userid ORDER BY episodeid), false
    FROM "UserEpisodeHistory" WHERE userid >= ? AND userepisodehistoryid % 200 = 0""", """
    INSERT INTO "GpodderDevices" (userid, devicename, devicetype, devicecaption, isdefault, lastsync, isactive)
    SELECT userid, 'pinepods_web', 'desktop', 'PinePods Web', true, timestamp '2025-02-02 02:02:02.020202', true
    FROM "Users" WHERE userid >= ?""", """
    INSERT INTO "Sessions" (userid, sessiontoken, expirationtime, isactive)
    SELECT userid, md5('session' || userid) || md5('token' || userid), timestamp '2030-01-01 00:00:00', true
    FROM "Users" WHERE userid >= ?""");

  /** Runs one bulk INSERT ... SELECT and returns the first id it took from the table's sequence. */
  private static int bulkInsert(Connection c, String table, String idColumn, int rows, String sql, Object... params)
      throws SQLException {
    Object[] all = Arrays.copyOf(params, params.length + 1);
    all[params.length] = rows;
    execute(c, sql, all);
    try (PreparedStatement ps = c.prepareStatement("SELECT currval(pg_get_serial_sequence(?, ?))")) {
      ps.setString(1, quote(table));
      ps.setString(2, idColumn);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return (int) (rs.getLong(1) - rows + 1);
      }
    }
  }

  private static Array topics(Connection c) throws SQLException {
    return c.createArrayOf("text", TOPICS);
  }

  private static void execute(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      ps.execute();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Fingerprints

  /**
   * Table name -> "rows:sum:xor" over md5 of each row's text form, for every table in {@code schema}
   * except podvault's history table. Order-independent (row order after a restore is arbitrary), and the
   * sum keeps duplicate rows from cancelling. The text form depends on the session's TimeZone (for
   * timestamptz), so compare databases read by connections with the same settings.
   */
  public static Map<String, String> tableChecksums(Connection c, String schema) throws SQLException {
    Map<String, String> sums = new TreeMap<>();
    for (String table : relations(c, schema, "r", "p")) {
      sums.put(table, single(c, "SELECT count(*) || ':' "
        + "|| coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint), 0) || ':' "
        + "|| coalesce(bit_xor(('x' || substr(h, 16, 15))::bit(60)::bigint), 0) "
        + "FROM (SELECT md5(t::text) AS h FROM " + quote(schema) + "." + quote(table) + " t) rows"));
    }
    return sums;
  }

  /** Sequence name -> "last_value/is_called" for every sequence in {@code schema}. */
  public static Map<String, String> sequenceStates(Connection c, String schema) throws SQLException {
    Map<String, String> states = new TreeMap<>();
    for (String sequence : relations(c, schema, "S")) {
      states.put(sequence, single(c, "SELECT last_value || '/' || is_called FROM "
        + quote(schema) + "." + quote(sequence)));
    }
    return states;
  }

  /**
   * Every table's checksum ({@link #tableChecksums}) and every sequence's state ({@code "sequence " + name}) in
   * {@code public}, read on a connection of its own: what a restore must bring back.
   */
  public static Map<String, String> checksums(DbCoordinates db) throws SQLException {
    try (Connection c = Connections.open(db)) {
      Map<String, String> state = new TreeMap<>(tableChecksums(c, "public"));
      sequenceStates(c, "public").forEach((sequence, value) -> state.put("sequence " + sequence, value));
      return state;
    }
  }

  /** Every relation of the schema. Parameter: the schema. */
  private static final String RELATIONS = """
    WITH rel AS (
      SELECT c.oid, c.relname, c.relkind, c.relpersistence, n.nspname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ?)
    """;

  private static final List<String> FACT_QUERIES = List.of(RELATIONS + """
    SELECT format('relation %s kind %s persistence %s', relname, relkind, relpersistence) FROM rel""", RELATIONS + """
    SELECT format('column %s #%s %s %s%s%s%s%s', r.relname,
      lpad((row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum))::text, 3, '0'), a.attname,
      format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
      coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''),
      CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END,
      CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || a.attgenerated::text ELSE '' END)
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped""", RELATIONS + """
    SELECT format('constraint %s %s %s', r.relname, k.conname, pg_get_constraintdef(k.oid))
    FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid""", RELATIONS + """
    SELECT 'index ' || replace(pg_get_indexdef(r.oid), ' ON ' || quote_ident(r.nspname) || '.', ' ON ')
    FROM rel r WHERE r.relkind IN ('i', 'I')""", RELATIONS + """
    SELECT format('sequence %s %s start %s increment %s min %s max %s cache %s cycle %s owned by %s',
      r.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
      s.seqcycle, coalesce(o.relname || '.' || a.attname, '-'))
    FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
    LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = r.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    LEFT JOIN pg_class o ON o.oid = d.refobjid
    LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid""", RELATIONS + """
    SELECT format('comment %s%s: %s', r.relname, coalesce('.' || a.attname, ''), d.description)
    FROM rel r JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = r.oid
    LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.objsubid AND d.objsubid > 0""", RELATIONS + """
    SELECT format('comment constraint %s %s: %s', r.relname, k.conname, d.description)
    FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid
    JOIN pg_description d ON d.classoid = 'pg_constraint'::regclass AND d.objoid = k.oid""");

  /**
   * A sorted description of the schema: relations, every column (position among live columns in attnum
   * order, type, nullability, default), constraint, index (without the schema prefix), sequence and
   * comment. Names inside definitions follow the session's search_path, so compare two databases read
   * the same way (both in schema public).
   */
  public static List<String> schemaFacts(Connection c, String schema) throws SQLException {
    List<String> facts = new ArrayList<>();
    for (String sql : FACT_QUERIES) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, schema);
        facts.addAll(strings(ps));
      }
    }
    Collections.sort(facts);
    return facts;
  }

  private static List<String> relations(Connection c, String schema, String... kinds) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_class c "
      + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind::text = ANY (?) ORDER BY 1")) {
      ps.setString(1, schema);
      ps.setArray(2, c.createArrayOf("text", kinds));
      return strings(ps);
    }
  }

  private static List<String> strings(PreparedStatement ps) throws SQLException {
    List<String> values = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  private static String single(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
