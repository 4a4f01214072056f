-- The schema of a register created by version 0.1.0 (migrations 0001_initial and
-- 0002_record_linkage), kept to test that such registers still open and upgrade.
CREATE TABLE register_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    name TEXT NOT NULL CHECK (length(name) > 0),
    licence_number TEXT,
    licence_status TEXT NOT NULL DEFAULT 'unknown' CHECK (licence_status IN ('licensed', 'suspended', 'revoked', 'expired', 'unlicensed', 'unknown')),
    licence_expiry TEXT CHECK (licence_expiry IS NULL OR (licence_expiry GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(licence_expiry) = licence_expiry)),
    allowed_destinations TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_destinations)),
    parent_agency_id TEXT REFERENCES agencies(id),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE brokers (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    name TEXT NOT NULL CHECK (length(name) > 0),
    alias TEXT,
    phone TEXT,
    village TEXT CHECK (village IS NULL OR village GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    agency_id TEXT REFERENCES agencies(id),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE persons (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M', 'X')),
    birth_date TEXT CHECK (birth_date IS NULL OR (birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(birth_date) = birth_date)),
    birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100),
    home_village TEXT NOT NULL CHECK (home_village GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX persons_home_village ON persons(home_village);

-- Identifying fields live apart so that nothing else needs them and an export can never
-- pick them up by accident.
CREATE TABLE person_identity (
    person_id TEXT PRIMARY KEY REFERENCES persons(id),
    name TEXT,
    national_id TEXT,
    phone TEXT
);

CREATE TABLE journeys (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    person_id TEXT NOT NULL REFERENCES persons(id),
    departure_date TEXT NOT NULL CHECK (departure_date IS NULL OR (departure_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(departure_date) = departure_date)),
    destination_country TEXT NOT NULL CHECK (length(destination_country) = 2),
    destination_place TEXT,
    sector TEXT CHECK (sector IS NULL OR sector IN ('agriculture', 'fishing', 'construction', 'manufacturing', 'domestic_work', 'hospitality', 'entertainment', 'services', 'other')),
    channel TEXT NOT NULL CHECK (channel IN ('licensed_agency', 'mou', 'broker', 'family_friend', 'own')),
    agency_id TEXT REFERENCES agencies(id),
    broker_id TEXT REFERENCES brokers(id),
    n_brokers INTEGER CHECK (n_brokers IS NULL OR n_brokers BETWEEN 0 AND 20),
    has_passport INTEGER CHECK (has_passport IS NULL OR has_passport IN (0, 1)),
    has_visa INTEGER CHECK (has_visa IS NULL OR has_visa IN (0, 1)),
    has_work_permit INTEGER CHECK (has_work_permit IS NULL OR has_work_permit IN (0, 1)),
    has_border_pass INTEGER CHECK (has_border_pass IS NULL OR has_border_pass IN (0, 1)),
    fee_usd REAL CHECK (fee_usd IS NULL OR fee_usd >= 0),
    debt_usd REAL CHECK (debt_usd IS NULL OR debt_usd >= 0),
    contract_seen INTEGER CHECK (contract_seen IS NULL OR contract_seen IN (0, 1)),
    job_promised TEXT,
    recorded_date TEXT CHECK (recorded_date IS NULL OR (recorded_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(recorded_date) = recorded_date)),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX journeys_person ON journeys(person_id);

CREATE TABLE returns (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    journey_id TEXT NOT NULL UNIQUE REFERENCES journeys(id),
    return_date TEXT NOT NULL CHECK (return_date IS NULL OR (return_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(return_date) = return_date)),
    return_mode TEXT NOT NULL CHECK (return_mode IN ('voluntary', 'deported', 'rescued', 'escaped', 'died_abroad')),
    job_done TEXT,
    ind_deception INTEGER CHECK (ind_deception IS NULL OR ind_deception IN (0, 1)),
    ind_abusive_conditions INTEGER CHECK (ind_abusive_conditions IS NULL OR ind_abusive_conditions IN (0, 1)),
    ind_excessive_overtime INTEGER CHECK (ind_excessive_overtime IS NULL OR ind_excessive_overtime IN (0, 1)),
    ind_abuse_of_vulnerability INTEGER CHECK (ind_abuse_of_vulnerability IS NULL OR ind_abuse_of_vulnerability IN (0, 1)),
    ind_restriction_of_movement INTEGER CHECK (ind_restriction_of_movement IS NULL OR ind_restriction_of_movement IN (0, 1)),
    ind_isolation INTEGER CHECK (ind_isolation IS NULL OR ind_isolation IN (0, 1)),
    ind_physical_sexual_violence INTEGER CHECK (ind_physical_sexual_violence IS NULL OR ind_physical_sexual_violence IN (0, 1)),
    ind_intimidation_threats INTEGER CHECK (ind_intimidation_threats IS NULL OR ind_intimidation_threats IN (0, 1)),
    ind_retention_of_documents INTEGER CHECK (ind_retention_of_documents IS NULL OR ind_retention_of_documents IN (0, 1)),
    ind_withholding_wages INTEGER CHECK (ind_withholding_wages IS NULL OR ind_withholding_wages IN (0, 1)),
    ind_debt_bondage INTEGER CHECK (ind_debt_bondage IS NULL OR ind_debt_bondage IN (0, 1)),
    exploitation_type TEXT CHECK (exploitation_type IS NULL OR exploitation_type IN ('none', 'labour', 'sexual', 'forced_marriage', 'other')),
    recorded_date TEXT CHECK (recorded_date IS NULL OR (recorded_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(recorded_date) = recorded_date)),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    person_id TEXT NOT NULL REFERENCES persons(id),
    journey_id TEXT REFERENCES journeys(id),
    service TEXT NOT NULL CHECK (service IN ('mosvy', 'police', 'ngo', 'health', 'legal', 'other')),
    organisation TEXT,
    referral_date TEXT NOT NULL CHECK (referral_date IS NULL OR (referral_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(referral_date) = referral_date)),
    status TEXT NOT NULL CHECK (status IN ('referred', 'received', 'closed', 'declined')),
    recorded_date TEXT CHECK (recorded_date IS NULL OR (recorded_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(recorded_date) = recorded_date)),
    source_register TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX referrals_person ON referrals(person_id);

-- Protection warnings: raised and stored, never blocking (an unlicensed or expired agency, an
-- agency recruiting a minor, three or more brokers).
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX warnings_record ON warnings(record_id);

-- Append-only audit log: every insert and correction, who and when, the row before and after
-- (JSON), the reason. Entries are chained by hash (see register.audit).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'merge')),
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    before TEXT CHECK (before IS NULL OR json_valid(before)),
    after TEXT CHECK (after IS NULL OR json_valid(after)),
    reason TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Registers merged into this one (district, province or national registers).
-- fingerprint = the source's audit-log head (entry count and last hash): it changes with
-- every write, so merging the same register state twice is recognised and skipped.
CREATE TABLE merged_sources (
    register_id TEXT PRIMARY KEY,
    commune_code TEXT,
    fingerprint TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    records INTEGER NOT NULL,
    merged_at TEXT NOT NULL
);

-- Record linkage of a merged register: the same person entered in two communes is linked, never
-- deleted. cluster_id names the person (the smallest person id of the cluster).
CREATE TABLE person_links (
    person_id TEXT PRIMARY KEY REFERENCES persons(id),
    cluster_id TEXT NOT NULL,
    match_probability REAL,
    linked_at TEXT NOT NULL
);
CREATE INDEX person_links_cluster ON person_links(cluster_id);
-- A journey recorded again by a second commune for a linked person; the export counts it once.
CREATE TABLE duplicate_journeys (
    journey_id TEXT PRIMARY KEY REFERENCES journeys(id),
    duplicate_of TEXT NOT NULL REFERENCES journeys(id)
);
