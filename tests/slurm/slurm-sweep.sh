#!/usr/bin/env bash
# The Slurm path of `dmasim sweep`, for real: a one-node Slurm cluster on localhost (munged, slurmctld,
# slurmd), the job files `sweep --emit slurm` writes (a 4-task array + a merge job that depends on it),
# then the merged output compared byte for byte with the single-process run. The daemons this script
# starts are stopped by their process ids when it ends.
#   usage: slurm-sweep.sh "dotnet /path/dmasim.dll" SPEC.yaml WORKDIR
#   exit: 0 equal, 1 different or a job failed, 77 Slurm cannot be had here (no apt-get to install it)
set -euo pipefail
dmasim=$1 spec=$2 work=$3
mkdir -p "$work"
work=$(cd "$work" && pwd)

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null || ! command -v slurmctld >/dev/null; then
  if ! command -v apt-get >/dev/null; then echo "skip: slurm-wlm/munge missing and no apt-get to install them"; exit 77; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# munge: reuse a running munged, else start one as the munge user (it refuses to run as root).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge "$work" && chown munge:munge /run/munge
  # setpriv execs munged itself (no shell in between), so $! is munged's own pid and cleanup can stop it.
  setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground >"$work/munged.log" 2>&1 & pids+=($!)
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
fi

mkdir -p "$work/state" "$work/spool" "$work/log"
host=$(hostname -s)
mem=$(awk '/MemTotal/ {print int($2/1024) - 2048}' /proc/meminfo)
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=dmasim-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -c -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 & pids+=($!)
sleep 1
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -qx idle && break; sleep 1; done
sinfo -h -o %t | grep -qx idle || { echo "slurm node never became idle"; sinfo; tail -n 20 "$work/log/"*; exit 1; }

$dmasim sweep "$spec" --emit slurm --tasks 4 --dmasim "$dmasim" -o "$work/out"
read -r array merge < <(bash "$work/out/slurm/submit.sh")
echo "submitted array job $array, merge job $merge"
state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort -u | tr '\n' ' '; }
for _ in $(seq 600); do
  s=$(state "$merge")
  case "$s" in
    *COMPLETED*) break ;;
    *FAILED*|*CANCELLED*|*TIMEOUT*) echo "merge job: $s"; cat "$work/out/logs/"* 2>/dev/null; exit 1 ;;
  esac
  if state "$array" | grep -qE 'FAILED|CANCELLED|TIMEOUT'; then echo "array job: $(state "$array")"; cat "$work/out/logs/"* 2>/dev/null; exit 1; fi
  sleep 1
done
[ "$(state "$merge")" = "COMPLETED " ] || { echo "merge job did not finish: $(state "$merge")"; exit 1; }

$dmasim sweep "$spec" --quiet -o "$work/single" >/dev/null || [ $? -eq 1 ]
for f in rows.jsonl rows.parquet summary.txt sweep.json; do
  cmp "$work/single/$f" "$work/out/merged/$f" || { echo "slurm output differs from the single-process run: $f"; exit 1; }
done
echo "slurm: 4 array tasks merged into exactly the single-process output"
