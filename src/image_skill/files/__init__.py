"""Files on disk and on the wire: uploads, downloads, type sniffing, atomic writes."""
