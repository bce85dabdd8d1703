-- The database the postgres conformance test expects (database spin_dev, user/password postgres):
-- one table per kind of value, each seeded with the first row the guest reads back (row id 0 or
-- 1; the guest inserts id 2). Equivalent to the upstream suite's postgres-init/*.sql; the
-- `postgres` precondition service runs it once, before `lepton up` starts.
CREATE TABLE test_numeric_types (
  id integer,
  rsmallserial smallserial NOT NULL, rsmallint smallint NOT NULL, rint2 int2 NOT NULL,
  rserial serial NOT NULL, rint int NOT NULL, rint4 int4 NOT NULL,
  rbigserial bigserial NOT NULL, rbigint bigint NOT NULL, rint8 int8 NOT NULL,
  rreal real NOT NULL, rdouble double precision NOT NULL, rnumeric numeric NOT NULL);
INSERT INTO test_numeric_types (id, rsmallint, rint2, rint, rint4, rbigint, rint8, rreal, rdouble, rnumeric)
  VALUES (0, 1, 2, 3, 4, 5, 6, 7.8, 9.1, 0.123456789);

CREATE TABLE test_character_types (
  id integer, rvarchar varchar(40) NOT NULL, rtext text NOT NULL, rchar char(10) NOT NULL);
INSERT INTO test_character_types (id, rvarchar, rtext, rchar) VALUES (0, 'rvarchar', 'rtext', 'rchar');

CREATE TABLE test_date_time_types (
  id integer, rdate date NOT NULL, rtime time NOT NULL, rtimestamp timestamp NOT NULL,
  rinterval interval NOT NULL);
INSERT INTO test_date_time_types (id, rdate, rtime, rtimestamp, rinterval)
  VALUES (1, '2525-12-25', '04:05:06.789', '1989-11-24 01:02:03', interval '1 year 2 months 3 days 04:05:06.7');

CREATE TABLE test_json_types (id integer, j jsonb NOT NULL);
INSERT INTO test_json_types (id, j) VALUES (1, '{"s": "hello", "n": 123, "b": true, "x": null}'::jsonb);

CREATE TABLE test_uuid_type (id integer, u uuid NOT NULL);
INSERT INTO test_uuid_type (id, u) VALUES (1, '12345678-1234-1234-1234-123456789abc');

CREATE TABLE test_nullable (id integer, rvarchar varchar(40));
INSERT INTO test_nullable (id, rvarchar) VALUES (1, NULL);

CREATE TABLE test_range_types (
  id integer, r4 int4range NOT NULL, r8 int8range NOT NULL, rnum numrange NOT NULL);
INSERT INTO test_range_types (id, r4, r8, rnum)
  VALUES (1, '(1,40]', '[123456789012,234567890123)', numrange(NULL, 100));

CREATE TABLE test_array_types (
  id integer, i4arr int4[] NOT NULL, i8arr int8[] NOT NULL, numarr numeric[] NOT NULL,
  strarr text[] NOT NULL);
INSERT INTO test_array_types (id, i4arr, i8arr, numarr, strarr)
  VALUES (1, '{1,2,3}', '{101,102,103,104}', '{1.234,2.345}', '{hello,mum}');
