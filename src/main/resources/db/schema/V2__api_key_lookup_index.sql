-- podvault authenticates every Api-Key request by looking the key up; PinePods' schema has no index for it.
CREATE INDEX "APIKeys_apikey_idx" ON "APIKeys" USING btree (apikey);
