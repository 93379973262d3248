# Run at every build (not at configure time): writes OUT, a C file holding
# the version and the git commit of the source tree, with "-dirty" when
# tracked files differ from that commit. OUT is rewritten only when its
# text changes, so an unchanged tree recompiles nothing.
#   cmake -DSRC_DIR=... -DOUT=... -DVERSION=... -P version.cmake
execute_process(COMMAND git -C ${SRC_DIR} rev-parse --short=12 HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit unknown)
else()
  # Refresh the index's stat data first, or a touched but unchanged file
  # would count as a change.
  execute_process(COMMAND git -C ${SRC_DIR} update-index -q --refresh
                  OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND git -C ${SRC_DIR} diff-index --quiet HEAD --
                  RESULT_VARIABLE dirty ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    set(commit "${commit}-dirty")
  endif()
endif()
set(text "/* Generated at build time by cmake/version.cmake: do not edit. */
#include \"common/version.h\"

const char cb_version[] = \"${VERSION}\";
const char cb_git_commit[] = \"${commit}\";
")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
