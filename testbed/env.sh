# Connection settings for the local testbed. Source this file; every value can be
# overridden from the environment beforehand. These are the defaults the tests,
# the sample pipelines and the benchmarks use.
export BD_TESTBED_DIR="${BD_TESTBED_DIR:-/tmp/batch-doctor-testbed}"

# PostgreSQL 15 (libpq's standard variables)
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-54329}"
export PGUSER="${PGUSER:-batch}"
export PGPASSWORD="${PGPASSWORD:-batch-pw}"
export PGDATABASE="${PGDATABASE:-batch}"

# MariaDB (the variables the mysql client and most tools read)
export MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
export MYSQL_TCP_PORT="${MYSQL_TCP_PORT:-33069}"
export MYSQL_USER="${MYSQL_USER:-batch}"
export MYSQL_PWD="${MYSQL_PWD:-batch-pw}"
export MYSQL_DATABASE="${MYSQL_DATABASE:-batch}"

# vsftpd
export FTP_HOST="${FTP_HOST:-127.0.0.1}"
export FTP_PORT="${FTP_PORT:-2121}"
export FTP_USER="${FTP_USER:-bdftp}"
export FTP_PASSWORD="${FTP_PASSWORD:-bdftp-pw}"
# Per-session rate cap in bytes/s (vsftpd local_max_rate; pure-ftpd -T in KiB/s). 0 = unlimited.
export FTP_MAX_RATE="${FTP_MAX_RATE:-4000000}"
# A second server implementation (pure-ftpd), same user and rate cap.
export PUREFTP_PORT="${PUREFTP_PORT:-2122}"
# OpenSSH's sshd serving SFTP (internal-sftp), the FTP user with its password, home = the FTP root.
export SFTP_HOST="${SFTP_HOST:-127.0.0.1}"
export SFTP_PORT="${SFTP_PORT:-2222}"
export SFTP_USER="${SFTP_USER:-$FTP_USER}"
export SFTP_PASSWORD="${SFTP_PASSWORD:-$FTP_PASSWORD}"
# vsftpd with explicit FTPS (AUTH TLS) and a self-signed certificate for 127.0.0.1:
# $BD_TESTBED_DIR/ftps-cert.pem (use it as a CA with NODE_EXTRA_CA_CERTS to verify).
export FTPS_PORT="${FTPS_PORT:-2990}"
# vsftpd that accepts at most 2 connections per client address (max_per_ip=2): answers 421 beyond.
export FTP_LIMITED_PORT="${FTP_LIMITED_PORT:-2123}"
