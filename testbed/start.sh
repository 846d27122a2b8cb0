#!/usr/bin/env bash
# Installs (Debian packages, as root) and starts the testbed on loopback:
# PostgreSQL 15 with pg_stat_statements and hypopg, MariaDB with performance_schema
# and the slow log, vsftpd with a local user and a per-session rate cap, OpenSSH's sshd for SFTP.
# Idempotent: a server that already answers is left alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
mkdir -p "$BD_TESTBED_DIR"
chmod 1777 "$BD_TESTBED_DIR"
log() { echo "[testbed] $*" >&2; }

need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/hypopg.control ] || need+=(postgresql-15-hypopg)
command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
[ -x /usr/sbin/vsftpd ] || need+=(vsftpd)
# OpenSSH's server, for SFTP (the probes' ssh2 / ssh2-sftp-client instrumentation).
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v lftp >/dev/null 2>&1 || need+=(lftp)
command -v pt-query-digest >/dev/null 2>&1 || need+=(percona-toolkit)
command -v pgbadger >/dev/null 2>&1 || need+=(pgbadger)
# The HTML report is tested in a real browser (playwright-core drives Debian's Chromium, headless).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "missing packages ${need[*]}: run this script as root to install them"; exit 1; fi
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

wait_port() { # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ---------- PostgreSQL ----------
PGBIN=/usr/lib/postgresql/15/bin
PGDATA_DIR="$BD_TESTBED_DIR/pg"
if port_open "$PGHOST" "$PGPORT"; then
  log "PostgreSQL already listening on $PGHOST:$PGPORT"
else
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    mkdir -p "$PGDATA_DIR"; chown postgres:postgres "$PGDATA_DIR"
    su postgres -c "$PGBIN/initdb -D '$PGDATA_DIR' -A trust -U postgres --no-sync" >/dev/null
  fi
  chown -R postgres:postgres "$PGDATA_DIR"
  # A server killed without shutdown (the end of a session) leaves postmaster.pid behind.
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    oldpid=$(head -1 "$PGDATA_DIR/postmaster.pid")
    for _ in $(seq 1 50); do kill -0 "$oldpid" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$oldpid" 2>/dev/null; then rm -f "$PGDATA_DIR/postmaster.pid" "/tmp/.s.PGSQL.$PGPORT.lock"; fi
  fi
  su postgres -c "$PGBIN/pg_ctl -D '$PGDATA_DIR' -l '$BD_TESTBED_DIR/pg.log' -w -t 60 start -o \"-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c listen_addresses=$PGHOST -p $PGPORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off\"" >/dev/null
  wait_port "$PGHOST" "$PGPORT" 30 || { log "PostgreSQL did not start; see $BD_TESTBED_DIR/pg.log"; exit 1; }
  log "PostgreSQL started on $PGHOST:$PGPORT"
fi
psql_admin() { su postgres -c "psql -h /tmp -p $PGPORT -U postgres -v ON_ERROR_STOP=1 -qAt $*"; }
if [ "$(psql_admin "-d postgres -c \"SELECT 1 FROM pg_roles WHERE rolname='$PGUSER'\"")" != 1 ]; then
  psql_admin "-d postgres -c \"CREATE ROLE \\\"$PGUSER\\\" LOGIN SUPERUSER PASSWORD '$PGPASSWORD'\""
fi
if [ "$(psql_admin "-d postgres -c \"SELECT 1 FROM pg_database WHERE datname='$PGDATABASE'\"")" != 1 ]; then
  psql_admin "-d postgres -c \"CREATE DATABASE \\\"$PGDATABASE\\\" OWNER \\\"$PGUSER\\\"\""
fi
psql_admin "-d '$PGDATABASE' -c 'SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg'"

# ---------- MariaDB ----------
MYDATA="$BD_TESTBED_DIR/mariadb"
MYSOCK="$BD_TESTBED_DIR/mariadb.sock"
if port_open "$MYSQL_HOST" "$MYSQL_TCP_PORT"; then
  log "MariaDB already listening on $MYSQL_HOST:$MYSQL_TCP_PORT"
else
  if [ ! -d "$MYDATA/mysql" ]; then
    mkdir -p "$MYDATA"; chown mysql:mysql "$MYDATA"
    mysql_install_db --user=mysql --datadir="$MYDATA" --auth-root-authentication-method=socket >/dev/null 2>&1
  fi
  chown -R mysql:mysql "$MYDATA"
  rm -f "$BD_TESTBED_DIR/mariadb.pid" "$MYSOCK" "$MYSOCK.lock"
  (setsid mariadbd --user=mysql --datadir="$MYDATA" --port="$MYSQL_TCP_PORT" --bind-address="$MYSQL_HOST" \
    --socket="$MYSOCK" --pid-file="$BD_TESTBED_DIR/mariadb.pid" --log-error="$BD_TESTBED_DIR/mariadb.err" \
    --performance-schema=ON --slow-query-log=1 --slow-query-log-file="$BD_TESTBED_DIR/mariadb-slow.log" \
    --long-query-time=0 --innodb-flush-log-at-trx-commit=2 --skip-name-resolve </dev/null >/dev/null 2>&1 &)
  wait_port "$MYSQL_HOST" "$MYSQL_TCP_PORT" 60 || { log "MariaDB did not start; see $BD_TESTBED_DIR/mariadb.err"; exit 1; }
  log "MariaDB started on $MYSQL_HOST:$MYSQL_TCP_PORT"
fi
env -u MYSQL_HOST -u MYSQL_PWD -u MYSQL_TCP_PORT mariadb --protocol=socket --socket="$MYSOCK" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PWD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PWD';
GRANT ALL ON *.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL ON *.* TO '$MYSQL_USER'@'localhost';
FLUSH PRIVILEGES;
SQL

# ---------- vsftpd ----------
FTPROOT="$BD_TESTBED_DIR/ftp-home"
if ! id "$FTP_USER" >/dev/null 2>&1; then
  useradd -M -d "$FTPROOT" -s /bin/bash "$FTP_USER"
fi
echo "$FTP_USER:$FTP_PASSWORD" | chpasswd
mkdir -p "$FTPROOT" /var/run/vsftpd/empty
chown "$FTP_USER" "$FTPROOT"
if port_open "$FTP_HOST" "$FTP_PORT"; then
  log "vsftpd already listening on $FTP_HOST:$FTP_PORT"
else
  cat > "$BD_TESTBED_DIR/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$FTP_HOST
listen_port=$FTP_PORT
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30999
pasv_address=$FTP_HOST
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
background=YES
pam_service_name=vsftpd
local_max_rate=$FTP_MAX_RATE
max_per_ip=32
max_clients=64
xferlog_enable=NO
vsftpd_log_file=$BD_TESTBED_DIR/vsftpd.log
CONF
  /usr/sbin/vsftpd "$BD_TESTBED_DIR/vsftpd.conf"
  wait_port "$FTP_HOST" "$FTP_PORT" 20 || { log "vsftpd did not start"; exit 1; }
  log "vsftpd started on $FTP_HOST:$FTP_PORT (local_max_rate=$FTP_MAX_RATE B/s)"
fi

# ---------- vsftpd with explicit FTPS ----------
CERT="$BD_TESTBED_DIR/ftps-cert.pem"; KEY="$BD_TESTBED_DIR/ftps-key.pem"
if [ ! -f "$CERT" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$FTP_HOST" -addext "subjectAltName=IP:$FTP_HOST" \
    -keyout "$KEY" -out "$CERT" >/dev/null 2>&1
  chmod 600 "$KEY"
fi
if port_open "$FTP_HOST" "$FTPS_PORT"; then
  log "vsftpd (FTPS) already listening on $FTP_HOST:$FTPS_PORT"
else
  sed -e "s/^listen_port=.*/listen_port=$FTPS_PORT/" -e "s/^pasv_min_port=.*/pasv_min_port=32000/" -e "s/^pasv_max_port=.*/pasv_max_port=32999/" \
    -e "s|^vsftpd_log_file=.*|vsftpd_log_file=$BD_TESTBED_DIR/vsftpd-ftps.log|" "$BD_TESTBED_DIR/vsftpd.conf" > "$BD_TESTBED_DIR/vsftpd-ftps.conf"
  cat >> "$BD_TESTBED_DIR/vsftpd-ftps.conf" <<CONF
ssl_enable=YES
rsa_cert_file=$CERT
rsa_private_key_file=$KEY
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
CONF
  /usr/sbin/vsftpd "$BD_TESTBED_DIR/vsftpd-ftps.conf"
  wait_port "$FTP_HOST" "$FTPS_PORT" 20 || { log "vsftpd (FTPS) did not start"; exit 1; }
  log "vsftpd (FTPS) started on $FTP_HOST:$FTPS_PORT"
fi

# ---------- vsftpd with a per-IP connection limit ----------
if port_open "$FTP_HOST" "$FTP_LIMITED_PORT"; then
  log "vsftpd (max_per_ip=2) already listening on $FTP_HOST:$FTP_LIMITED_PORT"
else
  sed -e "s/^listen_port=.*/listen_port=$FTP_LIMITED_PORT/" -e "s/^pasv_min_port=.*/pasv_min_port=33000/" -e "s/^pasv_max_port=.*/pasv_max_port=33999/" \
    -e "s/^max_per_ip=.*/max_per_ip=2/" -e "s|^vsftpd_log_file=.*|vsftpd_log_file=$BD_TESTBED_DIR/vsftpd-limited.log|" \
    "$BD_TESTBED_DIR/vsftpd.conf" > "$BD_TESTBED_DIR/vsftpd-limited.conf"
  /usr/sbin/vsftpd "$BD_TESTBED_DIR/vsftpd-limited.conf"
  wait_port "$FTP_HOST" "$FTP_LIMITED_PORT" 20 || { log "vsftpd (max_per_ip=2) did not start"; exit 1; }
  log "vsftpd (max_per_ip=2) started on $FTP_HOST:$FTP_LIMITED_PORT"
fi

# ---------- pure-ftpd ----------
# Debian's pure-ftpd and vsftpd conflict (both provide ftp-server): installing one removes the other. So
# pure-ftpd is unpacked from its Debian package into the testbed directory instead of installed.
PUREFTPD="$BD_TESTBED_DIR/pure-ftpd/usr/sbin/pure-ftpd"
if [ ! -x "$PUREFTPD" ]; then
  dl=$(mktemp -d); chmod 777 "$dl"
  (cd "$dl" && apt-get download pure-ftpd >/dev/null 2>&1) || { apt-get update -qq && (cd "$dl" && apt-get download pure-ftpd >/dev/null 2>&1); }
  dpkg-deb -x "$dl"/pure-ftpd_*.deb "$BD_TESTBED_DIR/pure-ftpd"
  rm -rf "$dl"
fi
if port_open "$FTP_HOST" "$PUREFTP_PORT"; then
  log "pure-ftpd already listening on $FTP_HOST:$PUREFTP_PORT"
else
  rate_kib=$(( FTP_MAX_RATE / 1024 ))
  throttle=(); [ "$rate_kib" -gt 0 ] && throttle=(-T "$rate_kib")
  "$PUREFTPD" -S "$FTP_HOST,$PUREFTP_PORT" -l unix -E -B -A -H -p 31000:31999 -P "$FTP_HOST" -C 32 -c 64 \
    -g "$BD_TESTBED_DIR/pure-ftpd.pid" "${throttle[@]}"
  wait_port "$FTP_HOST" "$PUREFTP_PORT" 20 || { log "pure-ftpd did not start"; exit 1; }
  log "pure-ftpd started on $FTP_HOST:$PUREFTP_PORT (-T $rate_kib KiB/s)"
fi
# ---------- OpenSSH sshd for SFTP ----------
# Its own config and host key in the testbed directory, on loopback only; the FTP user logs in with its password
# (PAM) and gets internal-sftp only (no shell, no forwarding). Its home is the FTP root.
if port_open "$SFTP_HOST" "$SFTP_PORT"; then
  log "sshd (SFTP) already listening on $SFTP_HOST:$SFTP_PORT"
else
  [ -f "$BD_TESTBED_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$BD_TESTBED_DIR/ssh_host_ed25519_key"
  mkdir -p /run/sshd
  cat > "$BD_TESTBED_DIR/sshd_config" <<CONF
ListenAddress $SFTP_HOST:$SFTP_PORT
HostKey $BD_TESTBED_DIR/ssh_host_ed25519_key
PidFile $BD_TESTBED_DIR/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $SFTP_USER
MaxStartups 64:30:128
MaxSessions 64
AllowTcpForwarding no
X11Forwarding no
Subsystem sftp internal-sftp
ForceCommand internal-sftp
CONF
  /usr/sbin/sshd -f "$BD_TESTBED_DIR/sshd_config" -E "$BD_TESTBED_DIR/sshd.log"
  wait_port "$SFTP_HOST" "$SFTP_PORT" 20 || { log "sshd did not start (see $BD_TESTBED_DIR/sshd.log)"; exit 1; }
  log "sshd (SFTP) started on $SFTP_HOST:$SFTP_PORT"
fi
log "ready"
