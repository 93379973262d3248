# bash completion for concbench and mockapi (installed by cmake --install
# as share/bash-completion/completions/concbench and .../mockapi).
# Models, scenarios and knobs come from the binary being completed
# (`concbench list models|scenarios|knobs`), so they are never out of date.

# _concbench_names BIN WHAT: the names `BIN list WHAT` prints.
_concbench_names() {
  command "$1" list "$2" 2>/dev/null
}

# _concbench_csv WORDS...: completes the last element of a comma-separated
# list in $cur (--model a,b,<TAB>).
_concbench_csv() {
  local prefix="" last=$cur
  if [[ $cur == *,* ]]; then
    prefix=${cur%,*},
    last=${cur##*,}
  fi
  local w
  COMPREPLY=()
  for w in "$@"; do
    [[ $w == "$last"* ]] && COMPREPLY+=("$prefix$w")
  done
  compopt -o nospace 2>/dev/null
}

_concbench_run() {
  local bin=$1 prev=$2 k opts=()
  case $prev in
  --model | --models)
    _concbench_csv all $(_concbench_names "$bin" models)
    return
    ;;
  --scenario)
    COMPREPLY=($(compgen -W "$(_concbench_names "$bin" scenarios)" -- "$cur") $(compgen -f -- "$cur"))
    return
    ;;
  --out | --baseline | --save-baseline)
    COMPREPLY=($(compgen -f -- "$cur"))
    return
    ;;
  --progress)
    COMPREPLY=($(compgen -W "1 0 json" -- "$cur"))
    return
    ;;
  --memory-method)
    COMPREPLY=($(compgen -W "auto cgroup-v2 cgroup-v1 proc-pss" -- "$cur"))
    return
    ;;
  --latency-dist)
    COMPREPLY=($(compgen -W "fixed uniform normal lognormal exponential" -- "$cur"))
    return
    ;;
  esac
  if [[ $prev == --* && $prev != --help && $prev != --no-color && $prev != *=* ]]; then
    return # the value of another knob: nothing to offer
  fi
  for k in $(_concbench_names "$bin" knobs); do
    opts+=("--${k//_/-}")
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${opts[*]} --help --no-color" -- "$cur"))
  elif [[ $cur != *=* ]]; then
    # knob=value spelling
    COMPREPLY=($(compgen -S = -W "$(_concbench_names "$bin" knobs)" -- "$cur"))
    compopt -o nospace 2>/dev/null
  fi
}

_concbench() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} bin=${COMP_WORDS[0]}
  local cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} != -* ]]; then
      cmd=${COMP_WORDS[i]}
      break
    fi
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "run list plot compare measure worker --version --help --no-color" -- "$cur"))
    return
  fi
  case $cmd in
  run) _concbench_run "$bin" "$prev" ;;
  list) [[ $COMP_CWORD -eq $((i + 1)) ]] && COMPREPLY=($(compgen -W "models scenarios knobs --help" -- "$cur")) ;;
  plot) COMPREPLY=($(compgen -d -- "$cur")) ;;
  compare)
    case $prev in
    --metric | --metrics) _concbench_csv wall cpu rss errors p99 all ;;
    --threshold | --max-error-rate | --max-p99-ms | --max-mem-mib) ;;
    *)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--threshold --metric --max-error-rate --max-p99-ms --max-mem-mib --allow-invalid --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    esac
    ;;
  measure)
    local j
    for ((j = i + 1; j < COMP_CWORD; j++)); do
      if [[ ${COMP_WORDS[j]} == -- ]]; then
        COMPREPLY=($(compgen -c -- "$cur") $(compgen -f -- "$cur"))
        return
      fi
    done
    case $prev in
    --memory-method) COMPREPLY=($(compgen -W "auto cgroup-v2 cgroup-v1 proc-pss" -- "$cur")) ;;
    --sample-ms) ;;
    *) COMPREPLY=($(compgen -W "--memory-method --sample-ms --json --help --" -- "$cur")) ;;
    esac
    ;;
  worker)
    case $prev in
    --redis | --pg | --api | --run | --consumers | --db-conns | --batch-size) ;;
    *) COMPREPLY=($(compgen -W "--redis --pg --api --run --consumers --db-conns --batch-size --help" -- "$cur")) ;;
    esac
    ;;
  esac
}

_mockapi() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
  --latency-dist)
    COMPREPLY=($(compgen -W "fixed uniform normal lognormal exponential" -- "$cur"))
    return
    ;;
  --help | --version) ;;
  --*) return ;; # a flag's value
  esac
  COMPREPLY=($(compgen -W "$(command "${COMP_WORDS[0]}" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
}

complete -F _concbench concbench
complete -F _mockapi mockapi
