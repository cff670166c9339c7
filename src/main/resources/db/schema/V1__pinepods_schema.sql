-- Reproduces the PostgreSQL schema of PinePods (github.com/madeofpendletonwool/PinePods,
-- commit 4b8785b555aac67ece420478a83b3ee28b718c22): 49 tables, unqualified so it builds in any schema.

CREATE TABLE "AISettings" (
  aisettingsid serial,
  transcriptionmodel character varying(100) NOT NULL DEFAULT 'base',
  llmbackend character varying(20) NOT NULL DEFAULT 'local',
  llmmodel character varying(200),
  llmurl character varying(500),
  llmapikey text,
  whisperdevice character varying(20) NOT NULL DEFAULT 'cpu',
  whispercomputetype character varying(20) NOT NULL DEFAULT 'int8',
  updatedat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "AISettings_pkey" PRIMARY KEY (aisettingsid)
);

CREATE TABLE "APIKeys" (
  apikeyid serial,
  userid integer,
  apikey text,
  created timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "APIKeys_pkey" PRIMARY KEY (apikeyid)
);

CREATE TABLE "AppSettings" (
  appsettingsid serial,
  selfserviceuser boolean DEFAULT false,
  downloadenabled boolean DEFAULT true,
  newsfeedsubscribed boolean DEFAULT false,
  downloadfoldercover boolean DEFAULT false,
  downloadepisodecover boolean DEFAULT false,
  downloadmetadatasidecar boolean DEFAULT false,
  downloadmetadataformat character varying(20) DEFAULT 'both',
  downloadmetadatasubfolder boolean DEFAULT true,
  encryptionkey text,
  CONSTRAINT "AppSettings_pkey" PRIMARY KEY (appsettingsid)
);

CREATE TABLE "CollectionEpisodes" (
  collectionepisodeid serial,
  collectionid integer NOT NULL,
  episodeid integer,
  videoid integer,
  addedat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "CollectionEpisodes_pkey" PRIMARY KEY (collectionepisodeid),
  CONSTRAINT "CollectionEpisodes_check" CHECK ((episodeid IS NOT NULL AND videoid IS NULL) OR (episodeid IS NULL AND videoid IS NOT NULL))
);

CREATE TABLE "Collections" (
  collectionid serial,
  userid integer NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  isdefault boolean NOT NULL DEFAULT false,
  icon character varying(50) NOT NULL DEFAULT 'ph-bookmark-simple',
  createdat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  lastupdated timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  autoaddcategories text,
  CONSTRAINT "Collections_pkey" PRIMARY KEY (collectionid),
  CONSTRAINT "Collections_userid_name_key" UNIQUE (userid, name)
);

CREATE TABLE "CustomThemes" (
  themeid serial,
  userid integer NOT NULL,
  name character varying(255) NOT NULL,
  background_color character varying(7) NOT NULL DEFAULT '#3C4252',
  button_color character varying(7) NOT NULL DEFAULT '#3e4555',
  container_button_color character varying(7) NOT NULL DEFAULT 'transparent',
  button_text_color character varying(7) NOT NULL DEFAULT '#f6f5f4',
  text_color character varying(7) NOT NULL DEFAULT '#f6f5f4',
  text_secondary_color character varying(7) NOT NULL DEFAULT '#f6f5f4',
  border_color character varying(7) NOT NULL DEFAULT '#000000',
  accent_color character varying(7) NOT NULL DEFAULT '#6d747f',
  prog_bar_color character varying(7) NOT NULL DEFAULT '#3550af',
  error_color character varying(7) NOT NULL DEFAULT '#ff0000',
  bonus_color character varying(7) NOT NULL DEFAULT '#000000',
  secondary_background character varying(7) NOT NULL DEFAULT '#2e3440',
  container_background character varying(7) NOT NULL DEFAULT '#2b2f3a',
  standout_color character varying(7) NOT NULL DEFAULT '#6e8e92',
  hover_color character varying(7) NOT NULL DEFAULT '#5d80aa',
  link_color character varying(7) NOT NULL DEFAULT '#5d80aa',
  thumb_color character varying(7) NOT NULL DEFAULT '#3550af',
  unfilled_color character varying(7) NOT NULL DEFAULT '#d4d6d7',
  check_box_color character varying(7) NOT NULL DEFAULT '#ffffff',
  CONSTRAINT "CustomThemes_pkey" PRIMARY KEY (themeid),
  CONSTRAINT "CustomThemes_userid_name_key" UNIQUE (userid, name)
);

CREATE TABLE "DownloadedEpisodes" (
  downloadid serial,
  userid integer,
  episodeid integer,
  downloadeddate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  downloadedsize integer,
  downloadedlocation text,
  CONSTRAINT "DownloadedEpisodes_pkey" PRIMARY KEY (downloadid)
);

CREATE TABLE "DownloadedVideos" (
  downloadid serial,
  userid integer,
  videoid integer,
  downloadeddate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  downloadedsize integer,
  downloadedlocation text,
  CONSTRAINT "DownloadedVideos_pkey" PRIMARY KEY (downloadid)
);

CREATE TABLE "EmailSettings" (
  emailsettingsid serial,
  server_name character varying(255),
  server_port integer,
  from_email character varying(255),
  send_mode character varying(255),
  encryption character varying(255),
  auth_required boolean,
  username character varying(255),
  password character varying(255),
  CONSTRAINT "EmailSettings_pkey" PRIMARY KEY (emailsettingsid)
);

CREATE TABLE "EpisodeAdSkipReview" (
  reviewid serial,
  userid integer NOT NULL,
  segmentid integer NOT NULL,
  status character varying(20) NOT NULL,
  createdat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "EpisodeAdSkipReview_pkey" PRIMARY KEY (reviewid),
  CONSTRAINT "EpisodeAdSkipReview_userid_segmentid_key" UNIQUE (userid, segmentid)
);

CREATE TABLE "EpisodeQueue" (
  queueid serial,
  queuedate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  userid integer,
  episodeid integer,
  queueposition integer NOT NULL DEFAULT 0,
  is_youtube boolean DEFAULT false,
  CONSTRAINT "EpisodeQueue_pkey" PRIMARY KEY (queueid)
);

CREATE TABLE "EpisodeSkipSegments" (
  segmentid serial,
  episodeid integer,
  videoid integer,
  kind character varying(20) NOT NULL,
  starttime double precision NOT NULL,
  endtime double precision NOT NULL,
  source character varying(30) NOT NULL,
  createdat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "EpisodeSkipSegments_pkey" PRIMARY KEY (segmentid),
  CONSTRAINT "EpisodeSkipSegments_check" CHECK ((episodeid IS NOT NULL AND videoid IS NULL) OR (episodeid IS NULL AND videoid IS NOT NULL))
);

CREATE TABLE "EpisodeTranscripts" (
  transcriptid serial,
  episodeid integer,
  videoid integer,
  source character varying(20) NOT NULL DEFAULT 'generated',
  language character varying(20),
  model character varying(100),
  transcripttext text,
  segments jsonb,
  status character varying(20) NOT NULL DEFAULT 'complete',
  createdat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "EpisodeTranscripts_pkey" PRIMARY KEY (transcriptid),
  CONSTRAINT "EpisodeTranscripts_check" CHECK ((episodeid IS NOT NULL AND videoid IS NULL) OR (episodeid IS NULL AND videoid IS NOT NULL))
);

CREATE TABLE "Episodes" (
  episodeid serial,
  podcastid integer,
  episodetitle text,
  episodedescription text,
  episodeurl text,
  episodeartwork text,
  episodepubdate timestamp without time zone,
  episodeduration integer,
  completed boolean DEFAULT false,
  is_video boolean DEFAULT false,
  episodeguid text,
  silencedetected boolean DEFAULT false,
  adsdetected boolean DEFAULT false,
  CONSTRAINT "Episodes_pkey" PRIMARY KEY (episodeid)
);

CREATE TABLE "GpodderDevices" (
  deviceid serial,
  userid integer NOT NULL,
  devicename character varying(255) NOT NULL,
  devicetype character varying(50) DEFAULT 'desktop',
  devicecaption character varying(255),
  isdefault boolean DEFAULT false,
  lastsync timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  isactive boolean DEFAULT true,
  CONSTRAINT "GpodderDevices_pkey" PRIMARY KEY (deviceid),
  CONSTRAINT "GpodderDevices_userid_devicename_key" UNIQUE (userid, devicename)
);

CREATE TABLE "GpodderSessions" (
  sessionid serial,
  userid integer NOT NULL,
  sessiontoken text NOT NULL,
  createdat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  expiresat timestamp without time zone NOT NULL,
  lastactive timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  useragent text,
  clientip text,
  CONSTRAINT "GpodderSessions_pkey" PRIMARY KEY (sessionid),
  CONSTRAINT "GpodderSessions_sessiontoken_key" UNIQUE (sessiontoken)
);

CREATE TABLE "GpodderSubscriptionSnapshot" (
  snapshotid serial,
  userid integer NOT NULL,
  synctarget text NOT NULL,
  feedurl text NOT NULL,
  CONSTRAINT "GpodderSubscriptionSnapshot_pkey" PRIMARY KEY (snapshotid),
  CONSTRAINT "GpodderSubscriptionSnapshot_userid_synctarget_feedurl_key" UNIQUE (userid, synctarget, feedurl)
);

CREATE TABLE "GpodderSyncDevicePairs" (
  pairid serial,
  userid integer NOT NULL,
  deviceid1 integer NOT NULL,
  deviceid2 integer NOT NULL,
  createdat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "GpodderSyncDevicePairs_pkey" PRIMARY KEY (pairid),
  CONSTRAINT "GpodderSyncDevicePairs_userid_deviceid1_deviceid2_key" UNIQUE (userid, deviceid1, deviceid2)
);

CREATE TABLE "GpodderSyncDeviceState" (
  devicestateid serial,
  userid integer NOT NULL,
  deviceid integer NOT NULL,
  subscriptioncount integer DEFAULT 0,
  lastupdated timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "GpodderSyncDeviceState_pkey" PRIMARY KEY (devicestateid),
  CONSTRAINT "GpodderSyncDeviceState_userid_deviceid_key" UNIQUE (userid, deviceid)
);

CREATE TABLE "GpodderSyncEpisodeActions" (
  actionid serial,
  userid integer NOT NULL,
  deviceid integer,
  podcasturl text NOT NULL,
  episodeurl text NOT NULL,
  action character varying(20) NOT NULL,
  "timestamp" bigint NOT NULL,
  started integer,
  "position" integer,
  total integer,
  CONSTRAINT "GpodderSyncEpisodeActions_pkey" PRIMARY KEY (actionid)
);

CREATE TABLE "GpodderSyncMigrations" (
  version integer,
  description text NOT NULL,
  appliedat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "GpodderSyncMigrations_pkey" PRIMARY KEY (version)
);

CREATE TABLE "GpodderSyncPodcastListEntries" (
  entryid serial,
  listid integer NOT NULL,
  podcasturl text NOT NULL,
  createdat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "GpodderSyncPodcastListEntries_pkey" PRIMARY KEY (entryid)
);

CREATE TABLE "GpodderSyncPodcastLists" (
  listid serial,
  userid integer NOT NULL,
  name character varying(255) NOT NULL,
  title character varying(255) NOT NULL,
  createdat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "GpodderSyncPodcastLists_pkey" PRIMARY KEY (listid),
  CONSTRAINT "GpodderSyncPodcastLists_userid_name_key" UNIQUE (userid, name)
);

CREATE TABLE "GpodderSyncSettings" (
  settingid serial,
  userid integer NOT NULL,
  scope character varying(20) NOT NULL,
  deviceid integer,
  podcasturl text,
  episodeurl text,
  settingkey character varying(255) NOT NULL,
  settingvalue text,
  createdat timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  lastupdated timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  apiversion character varying(10) DEFAULT '2.0',
  CONSTRAINT "GpodderSyncSettings_pkey" PRIMARY KEY (settingid)
);

CREATE TABLE "GpodderSyncState" (
  syncstateid serial,
  userid integer NOT NULL,
  deviceid integer NOT NULL,
  lasttimestamp bigint DEFAULT 0,
  episodestimestamp bigint DEFAULT 0,
  CONSTRAINT "GpodderSyncState_pkey" PRIMARY KEY (syncstateid),
  CONSTRAINT "GpodderSyncState_userid_deviceid_key" UNIQUE (userid, deviceid)
);

CREATE TABLE "GpodderSyncSubscriptions" (
  subscriptionid serial,
  userid integer NOT NULL,
  deviceid integer NOT NULL,
  podcasturl text NOT NULL,
  action character varying(10) NOT NULL,
  "timestamp" bigint NOT NULL,
  CONSTRAINT "GpodderSyncSubscriptions_pkey" PRIMARY KEY (subscriptionid)
);

CREATE TABLE "HostFeedCache" (
  cachekey text,
  feedjson text NOT NULL,
  refreshedat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "HostFeedCache_pkey" PRIMARY KEY (cachekey)
);

CREATE TABLE "OIDCProviders" (
  providerid serial,
  providername character varying(255) NOT NULL,
  clientid character varying(255) NOT NULL,
  clientsecret character varying(500) NOT NULL,
  authorizationurl character varying(255) NOT NULL,
  tokenurl character varying(255) NOT NULL,
  userinfourl character varying(255) NOT NULL,
  scope character varying(255) DEFAULT 'openid email profile',
  buttoncolor character varying(50) DEFAULT '#000000',
  buttontext character varying(255) NOT NULL,
  buttontextcolor character varying(50) DEFAULT '#000000',
  iconsvg text,
  enabled boolean DEFAULT true,
  created timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  modified timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  nameclaim character varying(255),
  emailclaim character varying(255),
  usernameclaim character varying(255),
  rolesclaim character varying(255),
  userrole character varying(255),
  adminrole character varying(255),
  initializedfromenv boolean DEFAULT false,
  CONSTRAINT "OIDCProviders_pkey" PRIMARY KEY (providerid)
);
COMMENT ON COLUMN "OIDCProviders".initializedfromenv IS 'Indicates if this provider was created from environment variables and should not be removable via UI';

CREATE TABLE "People" (
  personid serial,
  name text,
  personimg text,
  peopledbid integer,
  associatedpodcasts text,
  userid integer,
  CONSTRAINT "People_pkey" PRIMARY KEY (personid)
);

CREATE TABLE "PeopleEpisodes" (
  episodeid serial,
  personid integer,
  podcastid integer,
  episodetitle text,
  episodedescription text,
  episodeurl text,
  episodeartwork text,
  episodepubdate timestamp without time zone,
  episodeduration integer,
  addeddate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "PeopleEpisodes_pkey" PRIMARY KEY (episodeid)
);

CREATE TABLE "PlaylistContents" (
  playlistcontentid serial,
  playlistid integer,
  episodeid integer,
  videoid integer,
  "position" integer,
  dateadded timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "PlaylistContents_pkey" PRIMARY KEY (playlistcontentid),
  CONSTRAINT "PlaylistContents_check" CHECK ((episodeid IS NOT NULL AND videoid IS NULL) OR (episodeid IS NULL AND videoid IS NOT NULL))
);

CREATE TABLE "Playlists" (
  playlistid serial,
  userid integer NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  issystemplaylist boolean NOT NULL DEFAULT false,
  podcastids integer[],
  includeunplayed boolean NOT NULL DEFAULT true,
  includepartiallyplayed boolean NOT NULL DEFAULT true,
  includeplayed boolean NOT NULL DEFAULT false,
  minduration integer,
  maxduration integer,
  sortorder character varying(50) NOT NULL DEFAULT 'date_desc',
  groupbypodcast boolean NOT NULL DEFAULT false,
  maxepisodes integer,
  playprogressmin double precision,
  playprogressmax double precision,
  timefilterhours integer,
  lastupdated timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  iconname character varying(50) NOT NULL DEFAULT 'ph-playlist',
  episodecount integer DEFAULT 0,
  CONSTRAINT "Playlists_pkey" PRIMARY KEY (playlistid),
  CONSTRAINT "Playlists_userid_name_key" UNIQUE (userid, name),
  CONSTRAINT "Playlists_check" CHECK (playprogressmin IS NULL OR playprogressmax IS NULL OR playprogressmin <= playprogressmax),
  CONSTRAINT "Playlists_maxduration_check" CHECK (maxduration IS NULL OR maxduration >= 0),
  CONSTRAINT "Playlists_minduration_check" CHECK (minduration IS NULL OR minduration >= 0),
  CONSTRAINT "Playlists_playprogressmax_check" CHECK (playprogressmax IS NULL OR (playprogressmax >= 0 AND playprogressmax <= 100)),
  CONSTRAINT "Playlists_playprogressmin_check" CHECK (playprogressmin IS NULL OR (playprogressmin >= 0 AND playprogressmin <= 100)),
  CONSTRAINT "Playlists_sortorder_check" CHECK (sortorder IN ('date_asc', 'date_desc', 'duration_asc', 'duration_desc', 'listen_progress', 'completion'))
);

CREATE TABLE "Podcasts" (
  podcastid serial,
  podcastindexid integer,
  podcastname text,
  artworkurl text,
  author text,
  categories text,
  description text,
  episodecount integer,
  feedurl text,
  websiteurl text,
  explicit boolean,
  userid integer,
  autodownload boolean DEFAULT false,
  autoqueue boolean DEFAULT false,
  startskip integer DEFAULT 0,
  endskip integer DEFAULT 0,
  username text,
  password text,
  isyoutubechannel boolean DEFAULT false,
  notificationsenabled boolean DEFAULT false,
  feedcutoffdays integer DEFAULT 0,
  playbackspeed numeric(2,1) DEFAULT 1.0,
  playbackspeedcustomized boolean DEFAULT false,
  autodownloaddeletedays integer DEFAULT 0,
  autodownloaddeletecustomized boolean DEFAULT false,
  ignorepodcastindex boolean DEFAULT false,
  displaypodcast boolean DEFAULT true,
  refreshpodcast boolean DEFAULT true,
  mergedpodcastids text,
  usepodcastcovers boolean DEFAULT false,
  usepodcastcoverscustomized boolean DEFAULT false,
  autoplaynext boolean DEFAULT false,
  isfavorite boolean DEFAULT false,
  feedetag text,
  feedlastmodified text,
  lastrefreshattempt timestamp without time zone,
  lastrefreshsuccess timestamp without time zone,
  consecutivefailures integer DEFAULT 0,
  lasterrormessage text,
  trimsilence boolean DEFAULT false,
  silencethreshold integer DEFAULT 2,
  autotranscribe boolean DEFAULT false,
  autoaddetect boolean DEFAULT false,
  adskipautoactivate boolean DEFAULT true,
  CONSTRAINT "Podcasts_pkey" PRIMARY KEY (podcastid),
  CONSTRAINT podcasts_userid_feedurl_key UNIQUE (userid, feedurl)
);

CREATE TABLE "RecommendationCache" (
  userid integer,
  generatedat timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  resultsjson text NOT NULL,
  CONSTRAINT "RecommendationCache_pkey" PRIMARY KEY (userid)
);

CREATE TABLE "RssKeyMap" (
  rsskeyid integer,
  podcastid integer
);

CREATE TABLE "RssKeys" (
  rsskeyid serial,
  userid integer,
  rsskey text,
  created timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "RssKeys_pkey" PRIMARY KEY (rsskeyid)
);

CREATE TABLE "SavedEpisodes" (
  saveid serial,
  userid integer,
  episodeid integer,
  savedate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "SavedEpisodes_pkey" PRIMARY KEY (saveid)
);

CREATE TABLE "SavedVideos" (
  saveid serial,
  userid integer,
  videoid integer,
  savedate timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "SavedVideos_pkey" PRIMARY KEY (saveid)
);

CREATE TABLE "ScheduledBackups" (
  id serial,
  userid integer NOT NULL,
  cron_schedule character varying(50) NOT NULL,
  enabled boolean NOT NULL DEFAULT false,
  created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  retention_count integer,
  last_run timestamp without time zone,
  CONSTRAINT "ScheduledBackups_pkey" PRIMARY KEY (id),
  CONSTRAINT "ScheduledBackups_userid_key" UNIQUE (userid)
);

CREATE TABLE "Sessions" (
  sessionid serial,
  userid integer NOT NULL,
  sessiontoken text NOT NULL,
  expirationtime timestamp without time zone NOT NULL,
  isactive boolean DEFAULT true,
  CONSTRAINT "Sessions_pkey" PRIMARY KEY (sessionid)
);

CREATE TABLE "SharedEpisodes" (
  sharedepisodeid serial,
  episodeid integer NOT NULL,
  sharedby integer NOT NULL,
  sharedwith integer,
  sharecode text,
  expirationdate timestamp without time zone,
  CONSTRAINT "SharedEpisodes_pkey" PRIMARY KEY (sharedepisodeid),
  CONSTRAINT "SharedEpisodes_sharecode_key" UNIQUE (sharecode)
);

CREATE TABLE "UserEpisodeHistory" (
  userepisodehistoryid serial,
  userid integer,
  episodeid integer,
  listendate timestamp without time zone,
  listenduration integer,
  CONSTRAINT "UserEpisodeHistory_pkey" PRIMARY KEY (userepisodehistoryid),
  CONSTRAINT user_episode_unique UNIQUE (userid, episodeid)
);

CREATE TABLE "UserNotificationSettings" (
  settingid serial,
  userid integer,
  platform character varying(50) NOT NULL,
  enabled boolean DEFAULT true,
  ntfytopic character varying(255),
  ntfyserverurl character varying(255) DEFAULT 'https://ntfy.sh',
  gotifyurl character varying(255),
  gotifytoken character varying(255),
  created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  ntfyusername character varying(255),
  ntfypassword character varying(255),
  ntfyaccesstoken character varying(255),
  httpurl character varying(500),
  httptoken character varying(255),
  httpmethod character varying(10) DEFAULT 'POST',
  CONSTRAINT "UserNotificationSettings_pkey" PRIMARY KEY (settingid),
  CONSTRAINT "UserNotificationSettings_userid_platform_key" UNIQUE (userid, platform)
);

CREATE TABLE "UserSettings" (
  usersettingid serial,
  userid integer,
  theme character varying(255) DEFAULT 'Nordic',
  startpage character varying(255) DEFAULT 'home',
  autocompleteseconds integer DEFAULT 0,
  collection_add_ui character varying(10) DEFAULT 'modal',
  CONSTRAINT "UserSettings_pkey" PRIMARY KEY (usersettingid),
  CONSTRAINT "UserSettings_userid_key" UNIQUE (userid)
);

CREATE TABLE "UserStats" (
  userstatsid serial,
  userid integer,
  usercreated timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  podcastsplayed integer DEFAULT 0,
  timelistened integer DEFAULT 0,
  podcastsadded integer DEFAULT 0,
  episodessaved integer DEFAULT 0,
  episodesdownloaded integer DEFAULT 0,
  CONSTRAINT "UserStats_pkey" PRIMARY KEY (userstatsid),
  CONSTRAINT "UserStats_userid_key" UNIQUE (userid)
);

CREATE TABLE "UserVideoHistory" (
  uservideohistoryid serial,
  userid integer,
  videoid integer,
  listendate timestamp without time zone,
  listenduration integer DEFAULT 0,
  CONSTRAINT "UserVideoHistory_pkey" PRIMARY KEY (uservideohistoryid),
  CONSTRAINT user_video_unique UNIQUE (userid, videoid)
);

CREATE TABLE "Users" (
  userid serial,
  fullname character varying(255),
  username character varying(255),
  email character varying(255),
  hashed_pw character varying(500),
  isadmin boolean,
  reset_code text,
  reset_expiry timestamp without time zone,
  mfa_secret character varying(70),
  timezone character varying(50) DEFAULT 'UTC',
  timeformat integer DEFAULT 24,
  dateformat character varying(3) DEFAULT 'ISO',
  firstlogin boolean DEFAULT false,
  gpodderurl character varying(255) DEFAULT '',
  pod_sync_type character varying(50) DEFAULT 'None',
  gpodderloginname character varying(255) DEFAULT '',
  gpoddertoken character varying(255) DEFAULT '',
  enablerssfeeds boolean DEFAULT false,
  auth_type character varying(50) DEFAULT 'standard',
  oidc_provider_id integer,
  oidc_subject character varying(255),
  playbackspeed numeric(2,1) DEFAULT 1.0,
  autodownloaddeletedays integer DEFAULT 0,
  defaultvolume integer DEFAULT 100,
  lastsynctime timestamp with time zone,
  defaultgpodderdevice character varying(255),
  language character varying(10) DEFAULT 'en',
  usepodcastcovers boolean DEFAULT false,
  CONSTRAINT "Users_pkey" PRIMARY KEY (userid),
  CONSTRAINT "Users_username_key" UNIQUE (username)
);
COMMENT ON COLUMN "Users".language IS 'ISO 639-1 language code for user interface language preference';

CREATE TABLE "YouTubeVideos" (
  videoid serial,
  podcastid integer,
  videotitle text,
  videodescription text,
  videourl text,
  thumbnailurl text,
  publishedat timestamp without time zone,
  duration integer,
  youtubevideoid text,
  completed boolean DEFAULT false,
  listenposition integer DEFAULT 0,
  CONSTRAINT "YouTubeVideos_pkey" PRIMARY KEY (videoid)
);

CREATE TABLE schema_migrations (
  version character varying(255),
  name character varying(255) NOT NULL,
  description text,
  checksum character varying(64) NOT NULL,
  applied_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
  execution_time_ms integer,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

ALTER TABLE "APIKeys" ADD CONSTRAINT "APIKeys_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "CollectionEpisodes" ADD CONSTRAINT "CollectionEpisodes_collectionid_fkey"
  FOREIGN KEY (collectionid) REFERENCES "Collections" (collectionid) ON DELETE CASCADE;
ALTER TABLE "CollectionEpisodes" ADD CONSTRAINT "CollectionEpisodes_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid) ON DELETE CASCADE;
ALTER TABLE "CollectionEpisodes" ADD CONSTRAINT "CollectionEpisodes_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid) ON DELETE CASCADE;
ALTER TABLE "Collections" ADD CONSTRAINT "Collections_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "CustomThemes" ADD CONSTRAINT "CustomThemes_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "DownloadedEpisodes" ADD CONSTRAINT "DownloadedEpisodes_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid);
ALTER TABLE "DownloadedEpisodes" ADD CONSTRAINT "DownloadedEpisodes_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "DownloadedVideos" ADD CONSTRAINT "DownloadedVideos_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "DownloadedVideos" ADD CONSTRAINT "DownloadedVideos_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid);
ALTER TABLE "EpisodeAdSkipReview" ADD CONSTRAINT "EpisodeAdSkipReview_segmentid_fkey"
  FOREIGN KEY (segmentid) REFERENCES "EpisodeSkipSegments" (segmentid) ON DELETE CASCADE;
ALTER TABLE "EpisodeAdSkipReview" ADD CONSTRAINT "EpisodeAdSkipReview_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "EpisodeQueue" ADD CONSTRAINT "EpisodeQueue_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "EpisodeSkipSegments" ADD CONSTRAINT "EpisodeSkipSegments_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid) ON DELETE CASCADE;
ALTER TABLE "EpisodeSkipSegments" ADD CONSTRAINT "EpisodeSkipSegments_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid) ON DELETE CASCADE;
ALTER TABLE "EpisodeTranscripts" ADD CONSTRAINT "EpisodeTranscripts_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid) ON DELETE CASCADE;
ALTER TABLE "EpisodeTranscripts" ADD CONSTRAINT "EpisodeTranscripts_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid) ON DELETE CASCADE;
ALTER TABLE "Episodes" ADD CONSTRAINT "Episodes_podcastid_fkey"
  FOREIGN KEY (podcastid) REFERENCES "Podcasts" (podcastid);
ALTER TABLE "GpodderDevices" ADD CONSTRAINT "GpodderDevices_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSessions" ADD CONSTRAINT "GpodderSessions_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSubscriptionSnapshot" ADD CONSTRAINT "GpodderSubscriptionSnapshot_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncDevicePairs" ADD CONSTRAINT "GpodderSyncDevicePairs_deviceid1_fkey"
  FOREIGN KEY (deviceid1) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncDevicePairs" ADD CONSTRAINT "GpodderSyncDevicePairs_deviceid2_fkey"
  FOREIGN KEY (deviceid2) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncDevicePairs" ADD CONSTRAINT "GpodderSyncDevicePairs_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncDeviceState" ADD CONSTRAINT "GpodderSyncDeviceState_deviceid_fkey"
  FOREIGN KEY (deviceid) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncDeviceState" ADD CONSTRAINT "GpodderSyncDeviceState_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncEpisodeActions" ADD CONSTRAINT "GpodderSyncEpisodeActions_deviceid_fkey"
  FOREIGN KEY (deviceid) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncEpisodeActions" ADD CONSTRAINT "GpodderSyncEpisodeActions_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncPodcastListEntries" ADD CONSTRAINT "GpodderSyncPodcastListEntries_listid_fkey"
  FOREIGN KEY (listid) REFERENCES "GpodderSyncPodcastLists" (listid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncPodcastLists" ADD CONSTRAINT "GpodderSyncPodcastLists_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncSettings" ADD CONSTRAINT "GpodderSyncSettings_deviceid_fkey"
  FOREIGN KEY (deviceid) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncSettings" ADD CONSTRAINT "GpodderSyncSettings_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncState" ADD CONSTRAINT "GpodderSyncState_deviceid_fkey"
  FOREIGN KEY (deviceid) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncState" ADD CONSTRAINT "GpodderSyncState_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncSubscriptions" ADD CONSTRAINT "GpodderSyncSubscriptions_deviceid_fkey"
  FOREIGN KEY (deviceid) REFERENCES "GpodderDevices" (deviceid) ON DELETE CASCADE;
ALTER TABLE "GpodderSyncSubscriptions" ADD CONSTRAINT "GpodderSyncSubscriptions_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "People" ADD CONSTRAINT "People_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "PeopleEpisodes" ADD CONSTRAINT "PeopleEpisodes_personid_fkey"
  FOREIGN KEY (personid) REFERENCES "People" (personid);
ALTER TABLE "PeopleEpisodes" ADD CONSTRAINT "PeopleEpisodes_podcastid_fkey"
  FOREIGN KEY (podcastid) REFERENCES "Podcasts" (podcastid);
ALTER TABLE "PlaylistContents" ADD CONSTRAINT "PlaylistContents_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid) ON DELETE CASCADE;
ALTER TABLE "PlaylistContents" ADD CONSTRAINT "PlaylistContents_playlistid_fkey"
  FOREIGN KEY (playlistid) REFERENCES "Playlists" (playlistid) ON DELETE CASCADE;
ALTER TABLE "PlaylistContents" ADD CONSTRAINT "PlaylistContents_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid) ON DELETE CASCADE;
ALTER TABLE "Playlists" ADD CONSTRAINT "Playlists_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "Podcasts" ADD CONSTRAINT "Podcasts_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "RecommendationCache" ADD CONSTRAINT "RecommendationCache_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "RssKeyMap" ADD CONSTRAINT "RssKeyMap_rsskeyid_fkey"
  FOREIGN KEY (rsskeyid) REFERENCES "RssKeys" (rsskeyid) ON DELETE CASCADE;
ALTER TABLE "RssKeys" ADD CONSTRAINT "RssKeys_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "SavedEpisodes" ADD CONSTRAINT "SavedEpisodes_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid);
ALTER TABLE "SavedEpisodes" ADD CONSTRAINT "SavedEpisodes_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "SavedVideos" ADD CONSTRAINT "SavedVideos_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "SavedVideos" ADD CONSTRAINT "SavedVideos_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid);
ALTER TABLE "ScheduledBackups" ADD CONSTRAINT "ScheduledBackups_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "Sessions" ADD CONSTRAINT "Sessions_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "SharedEpisodes" ADD CONSTRAINT "SharedEpisodes_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid) ON DELETE CASCADE;
ALTER TABLE "SharedEpisodes" ADD CONSTRAINT "SharedEpisodes_sharedby_fkey"
  FOREIGN KEY (sharedby) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "SharedEpisodes" ADD CONSTRAINT "SharedEpisodes_sharedwith_fkey"
  FOREIGN KEY (sharedwith) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "UserEpisodeHistory" ADD CONSTRAINT "UserEpisodeHistory_episodeid_fkey"
  FOREIGN KEY (episodeid) REFERENCES "Episodes" (episodeid);
ALTER TABLE "UserEpisodeHistory" ADD CONSTRAINT "UserEpisodeHistory_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "UserNotificationSettings" ADD CONSTRAINT "UserNotificationSettings_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid) ON DELETE CASCADE;
ALTER TABLE "UserSettings" ADD CONSTRAINT "UserSettings_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "UserStats" ADD CONSTRAINT "UserStats_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "UserVideoHistory" ADD CONSTRAINT "UserVideoHistory_userid_fkey"
  FOREIGN KEY (userid) REFERENCES "Users" (userid);
ALTER TABLE "UserVideoHistory" ADD CONSTRAINT "UserVideoHistory_videoid_fkey"
  FOREIGN KEY (videoid) REFERENCES "YouTubeVideos" (videoid);
ALTER TABLE "Users" ADD CONSTRAINT fk_oidc_provider
  FOREIGN KEY (oidc_provider_id) REFERENCES "OIDCProviders" (providerid);
ALTER TABLE "YouTubeVideos" ADD CONSTRAINT "YouTubeVideos_podcastid_fkey"
  FOREIGN KEY (podcastid) REFERENCES "Podcasts" (podcastid);

CREATE INDEX idx_collection_episodes_collectionid ON "CollectionEpisodes" USING btree (collectionid);
CREATE INDEX idx_collection_episodes_episodeid ON "CollectionEpisodes" USING btree (episodeid);
CREATE INDEX idx_collection_episodes_videoid ON "CollectionEpisodes" USING btree (videoid);
CREATE UNIQUE INDEX idx_collections_one_default_per_user ON "Collections" USING btree (userid) WHERE (isdefault = true);
CREATE INDEX idx_collections_userid ON "Collections" USING btree (userid);
CREATE INDEX idx_downloadedepisodes_episodeid ON "DownloadedEpisodes" USING btree (episodeid);
CREATE INDEX idx_downloadedepisodes_userid ON "DownloadedEpisodes" USING btree (userid);
CREATE INDEX idx_downloadedepisodes_userid_episodeid ON "DownloadedEpisodes" USING btree (userid, episodeid);
CREATE INDEX idx_downloadedvideos_userid ON "DownloadedVideos" USING btree (userid);
CREATE INDEX idx_downloadedvideos_userid_videoid ON "DownloadedVideos" USING btree (userid, videoid);
CREATE INDEX idx_downloadedvideos_videoid ON "DownloadedVideos" USING btree (videoid);
CREATE INDEX idx_ad_skip_review_segmentid ON "EpisodeAdSkipReview" USING btree (segmentid);
CREATE INDEX idx_ad_skip_review_userid ON "EpisodeAdSkipReview" USING btree (userid);
CREATE INDEX idx_episodequeue_episodeid ON "EpisodeQueue" USING btree (episodeid);
CREATE INDEX idx_episodequeue_queueposition ON "EpisodeQueue" USING btree (queueposition);
CREATE INDEX idx_episodequeue_userid ON "EpisodeQueue" USING btree (userid);
CREATE INDEX idx_episodequeue_userid_queueposition ON "EpisodeQueue" USING btree (userid, queueposition);
CREATE INDEX idx_skip_segments_episodeid ON "EpisodeSkipSegments" USING btree (episodeid);
CREATE INDEX idx_skip_segments_videoid ON "EpisodeSkipSegments" USING btree (videoid);
CREATE INDEX idx_episode_transcripts_episodeid ON "EpisodeTranscripts" USING btree (episodeid);
CREATE INDEX idx_episode_transcripts_videoid ON "EpisodeTranscripts" USING btree (videoid);
CREATE INDEX idx_episodes_completed ON "Episodes" USING btree (completed);
CREATE INDEX idx_episodes_episodepubdate ON "Episodes" USING btree (episodepubdate);
CREATE INDEX idx_episodes_podcastid ON "Episodes" USING btree (podcastid);
CREATE INDEX idx_episodes_podcastid_guid ON "Episodes" USING btree (podcastid, episodeguid);
CREATE INDEX idx_episodes_podcastid_pubdate ON "Episodes" USING btree (podcastid, episodepubdate DESC);
CREATE INDEX idx_episodes_podcastid_title ON "Episodes" USING btree (podcastid, episodetitle);
CREATE INDEX idx_gpodder_devices_user_name ON "GpodderDevices" USING btree (userid, devicename) WHERE (isactive = true);
CREATE INDEX idx_gpodder_devices_userid ON "GpodderDevices" USING btree (userid);
CREATE INDEX idx_gpodder_sessions_expires ON "GpodderSessions" USING btree (expiresat);
CREATE INDEX idx_gpodder_sessions_token ON "GpodderSessions" USING btree (sessiontoken);
CREATE INDEX idx_gpodder_sessions_userid ON "GpodderSessions" USING btree (userid);
CREATE INDEX idx_gpodder_subsnapshot_user_target ON "GpodderSubscriptionSnapshot" USING btree (userid, synctarget);
CREATE INDEX idx_episode_actions_device_timestamp ON "GpodderSyncEpisodeActions" USING btree (deviceid, "timestamp" DESC) WHERE (deviceid IS NOT NULL);
CREATE INDEX idx_episode_actions_podcast_episode ON "GpodderSyncEpisodeActions" USING btree (userid, podcasturl, episodeurl, "timestamp" DESC);
CREATE INDEX idx_episode_actions_since_filter ON "GpodderSyncEpisodeActions" USING btree (userid, "timestamp" DESC, deviceid) WHERE ("timestamp" > 0);
CREATE INDEX idx_episode_actions_user_timestamp ON "GpodderSyncEpisodeActions" USING btree (userid, "timestamp" DESC);
CREATE INDEX idx_gpodder_sync_episode_actions_userid ON "GpodderSyncEpisodeActions" USING btree (userid);
CREATE INDEX idx_gpodder_sync_podcast_lists_userid ON "GpodderSyncPodcastLists" USING btree (userid);
CREATE INDEX idx_gpodder_syncstate_userid_deviceid ON "GpodderSyncState" USING btree (userid, deviceid);
CREATE INDEX idx_gpodder_sync_subs_complex_query ON "GpodderSyncSubscriptions" USING btree (userid, deviceid, action, "timestamp" DESC, podcasturl);
CREATE INDEX idx_gpodder_sync_subs_podcast_url_user ON "GpodderSyncSubscriptions" USING btree (userid, podcasturl, "timestamp" DESC);
CREATE INDEX idx_gpodder_sync_subs_user_action_timestamp ON "GpodderSyncSubscriptions" USING btree (userid, action, "timestamp" DESC);
CREATE INDEX idx_gpodder_sync_subs_user_device_timestamp ON "GpodderSyncSubscriptions" USING btree (userid, deviceid, "timestamp" DESC);
CREATE INDEX idx_gpodder_sync_subscriptions_deviceid ON "GpodderSyncSubscriptions" USING btree (deviceid);
CREATE INDEX idx_gpodder_sync_subscriptions_userid ON "GpodderSyncSubscriptions" USING btree (userid);
CREATE INDEX idx_playlist_contents_episodeid ON "PlaylistContents" USING btree (episodeid);
CREATE INDEX idx_playlist_contents_playlistid ON "PlaylistContents" USING btree (playlistid);
CREATE INDEX idx_playlist_contents_videoid ON "PlaylistContents" USING btree (videoid);
CREATE INDEX idx_playlists_userid ON "Playlists" USING btree (userid);
CREATE INDEX idx_podcasts_displaypodcast ON "Podcasts" USING btree (displaypodcast);
CREATE INDEX idx_podcasts_userid ON "Podcasts" USING btree (userid);
CREATE INDEX idx_savedepisodes_episodeid ON "SavedEpisodes" USING btree (episodeid);
CREATE INDEX idx_savedepisodes_userid ON "SavedEpisodes" USING btree (userid);
CREATE INDEX idx_savedepisodes_userid_episodeid ON "SavedEpisodes" USING btree (userid, episodeid);
CREATE INDEX idx_savedvideos_userid ON "SavedVideos" USING btree (userid);
CREATE INDEX idx_savedvideos_userid_videoid ON "SavedVideos" USING btree (userid, videoid);
CREATE INDEX idx_savedvideos_videoid ON "SavedVideos" USING btree (videoid);
CREATE INDEX idx_scheduled_backups_enabled ON "ScheduledBackups" USING btree (enabled);
CREATE INDEX idx_userepisodehistory_episodeid ON "UserEpisodeHistory" USING btree (episodeid);
CREATE INDEX idx_userepisodehistory_userid ON "UserEpisodeHistory" USING btree (userid);
CREATE INDEX idx_userepisodehistory_userid_episodeid ON "UserEpisodeHistory" USING btree (userid, episodeid);
CREATE INDEX idx_userepisodehistory_userid_listendate ON "UserEpisodeHistory" USING btree (userid, listendate DESC);
CREATE INDEX idx_uservideohistory_userid ON "UserVideoHistory" USING btree (userid);
CREATE INDEX idx_uservideohistory_userid_videoid ON "UserVideoHistory" USING btree (userid, videoid);
CREATE INDEX idx_uservideohistory_videoid ON "UserVideoHistory" USING btree (videoid);
CREATE INDEX idx_youtubevideos_completed ON "YouTubeVideos" USING btree (completed);
CREATE INDEX idx_youtubevideos_podcastid ON "YouTubeVideos" USING btree (podcastid);
CREATE INDEX idx_youtubevideos_podcastid_publishedat ON "YouTubeVideos" USING btree (podcastid, publishedat DESC);
CREATE INDEX idx_youtubevideos_publishedat ON "YouTubeVideos" USING btree (publishedat);
