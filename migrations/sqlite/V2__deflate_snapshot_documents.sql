-- Every version keeps a whole document, so history grows with (config size x versions): a
-- 1,500-upstream config reached 280 MB after 2,300 versions as plain JSON. Documents written
-- from schema 2 on are stored deflated (JSON compresses about tenfold) in document_deflate, with
-- document left empty; versions written before keep their JSON text in document.
ALTER TABLE snapshots ADD COLUMN document_deflate BLOB;
