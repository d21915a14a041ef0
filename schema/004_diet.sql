-- 004_diet.sql: results drop min and max, which the samples hold exactly.
--
-- The performance requirements allow 24 bytes per stored sample; 002 and 003 brought a result of 10 samples to
-- ~247 bytes. min and max (18 bytes a row) were read only where the run JSON is rendered, and
-- that reads the samples BLOB anyway: it takes them from the samples now (min: the first
-- smallest, max: the last largest, as the sort at upload picked them). Summary-only results
-- had NULL min and max and still render null. median stays: the gate's candidate centre of
-- an untested result is its median and the verdict reads no samples.
ALTER TABLE results DROP COLUMN min;
ALTER TABLE results DROP COLUMN max;
