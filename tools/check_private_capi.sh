#!/usr/bin/env bash
# tools/check_private_capi.sh: fails if a built idiokit/_core*.so imports a
# private CPython symbol (an undefined `_Py*` name) that is not on the
# allowlist below.  Private C-API changes without notice between releases
# (`_PyGen_Send` vanished in 3.10); the extension must use the public API only.
#
# Usage: tools/check_private_capi.sh [SO_FILE...]   (default: idiokit/_core*.so)
# The Python version of each file comes from its name (_core.cpython-311-...so
# is 3.11; a bare _core.so is Python 2.7) and selects the allowlist entries.
#
# The allowlist holds only names that PUBLIC macros or inline functions of
# that version's headers expand to; the extension never spells them itself.
set -euo pipefail

# allowed NAME VERSIONS...: VERSIONS are "all", "2.7" or "3.N".
allowlist() {
    local pyver=$1
    local name versions v
    while read -r name versions; do
        [ -z "$name" ] && continue
        case "$name" in \#*) continue ;; esac
        for v in $versions; do
            if [ "$v" = all ] || [ "$v" = "$pyver" ]; then
                echo "$name"
                break
            fi
        done
    done <<'EOF'
# The singletons behind Py_None, Py_True, Py_Ellipsis, Py_NotImplemented (all
# versions), Py_False (3.x; on 2.7 Py_False is _Py_ZeroStruct) and Py_RETURN_*.
_Py_NoneStruct              all
_Py_TrueStruct              all
_Py_FalseStruct             3.8 3.9 3.10 3.11 3.12 3.13
_Py_ZeroStruct              2.7
_Py_EllipsisObject          all
_Py_NotImplementedStruct    all
# Py_DECREF calls _Py_Dealloc when the count drops to zero (3.8+; 2.7 inlines it).
_Py_Dealloc                 3.8 3.9 3.10 3.11 3.12 3.13
# PyObject_New / PyObject_NewVar / PyObject_GC_New / PyObject_GC_NewVar /
# PyObject_GC_Resize are macros over these.
_PyObject_New               all
_PyObject_NewVar            all
_PyObject_GC_New            all
_PyObject_GC_NewVar         all
_PyObject_GC_Resize         all
# PyErr_BadInternalCall() is a macro that passes __FILE__ and __LINE__.
_PyErr_BadInternalCall      all
# Py_ISSPACE, Py_ISDIGIT, ... and Py_TOLOWER / Py_TOUPPER (pyctype.h) index these tables.
_Py_ctype_table             all
_Py_ctype_tolower           all
_Py_ctype_toupper           all
# With PY_SSIZE_T_CLEAN, modsupport.h and abstract.h rename these public
# functions to their _SizeT variants (until 3.13, where the renaming is gone).
_PyArg_Parse_SizeT                      2.7 3.8 3.9 3.10 3.11 3.12
_PyArg_ParseTuple_SizeT                 2.7 3.8 3.9 3.10 3.11 3.12
_PyArg_ParseTupleAndKeywords_SizeT      2.7 3.8 3.9 3.10 3.11 3.12
_PyArg_VaParse_SizeT                    2.7 3.8 3.9 3.10 3.11 3.12
_PyArg_VaParseTupleAndKeywords_SizeT    2.7 3.8 3.9 3.10 3.11 3.12
_Py_BuildValue_SizeT                    2.7 3.8 3.9 3.10 3.11 3.12
_Py_VaBuildValue_SizeT                  2.7 3.8 3.9 3.10 3.11 3.12
_PyObject_CallFunction_SizeT            2.7 3.8 3.9 3.10 3.11 3.12
_PyObject_CallMethod_SizeT              2.7 3.8 3.9 3.10 3.11 3.12
# Py_EnterRecursiveCall is a macro over these on 2.7 and 3.8 (a function from 3.9);
# on 2.7 it reads the thread state through PyThreadState_GET().
_Py_CheckRecursionLimit     2.7 3.8
_Py_CheckRecursiveCall      2.7 3.8
_PyThreadState_Current      2.7
# PyUnicode_READY() is a macro over _PyUnicode_Ready until 3.11 (a no-op from 3.12).
_PyUnicode_Ready            3.8 3.9 3.10 3.11
# The inline PyObject_Vectorcall / PyObject_CallOneArg / PyObject_CallNoArgs of
# 3.9 and 3.10 call these (3.11+ export real functions).
_PyObject_MakeTpCall        3.9 3.10
_Py_CheckFunctionResult     3.9 3.10
# PyIter_Check() is a macro comparing tp_iternext with this function on 2.7,
# 3.8 and 3.9 (a function from 3.10).
_PyObject_NextNotImplemented    2.7 3.8 3.9
# Py_FatalError() is a macro over _Py_FatalErrorFunc(__func__, msg) from 3.9.
_Py_FatalErrorFunc          3.9 3.10 3.11 3.12 3.13
EOF
}

version_of() {
    local base
    base=$(basename "$1")
    case "$base" in
        _core.so) echo 2.7 ;;
        _core.cpython-3*)
            base=${base#_core.cpython-3}
            echo "3.${base%%[!0-9]*}" ;;
        *) echo unknown ;;
    esac
}

if [ $# -eq 0 ]; then
    shopt -s nullglob
    set -- idiokit/_core*.so
    shopt -u nullglob
fi
if [ $# -eq 0 ]; then
    echo "check-capi: no idiokit/_core*.so found; build first (make build)" >&2
    exit 1
fi
command -v nm >/dev/null || { echo "check-capi: nm not found (install binutils)" >&2; exit 1; }

status=0
for so in "$@"; do
    pyver=$(version_of "$so")
    if [ "$pyver" = unknown ]; then
        echo "check-capi: cannot tell the Python version of $so" >&2
        status=1
        continue
    fi
    used=$(nm -D --undefined-only "$so" | awk '{print $NF}' | grep '^_Py' | sort -u || true)
    bad=$(comm -23 <(printf '%s\n' $used | sed '/^$/d') <(allowlist "$pyver" | sort -u))
    if [ -n "$bad" ]; then
        echo "check-capi: FAIL $so (Python $pyver) imports private C-API symbols:" $bad >&2
        status=1
    else
        echo "check-capi: ok   $so (Python $pyver): $(printf '%s\n' $used | sed '/^$/d' | wc -l) allowlisted _Py symbols"
    fi
done
exit $status
