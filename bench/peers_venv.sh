# The Python peers' venv (sourced by bench/peers.sh and bench/peers_fairness.sh).
# Expects ROOT, VENV and WORK; makes VENV from Debian's python3 and installs
# bench/peers-requirements.txt when it is missing or the file changed; sets
# venv_ok=1 when the peers are there, else prints what failed and sets venv_ok=0.
REQS=$ROOT/bench/peers-requirements.txt
venv_ok=1
if [[ ! -f "$VENV/.installed" ]] || ! cmp -s "$REQS" "$VENV/.installed"; then
  echo "peers: installing the Python peers into $VENV (pip, bench/peers-requirements.txt)" >&2
  if /usr/bin/python3 -m venv "$VENV" > "$WORK/venv.log" 2>&1 &&
     "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS" >> "$WORK/venv.log" 2>&1; then
    cp "$REQS" "$VENV/.installed"
  else
    venv_ok=0
    echo "peers: the venv install failed (last lines below); the Python peers are skipped" >&2
    tail -5 "$WORK/venv.log" >&2
  fi
fi
pyver() { "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || echo "?"; }
