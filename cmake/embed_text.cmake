# Writes the text of file IN into OUT as a C++ raw string constant NAME, so a binary carries a file
# of the repository (the git hook that `spoke hooks install` writes). Run with cmake -P.
file(READ "${IN}" text)
if(text MATCHES "\\)SPOKEEMBED\"")
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )SPOKEEMBED\"")
endif()
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by cmake/embed_text.cmake; do not edit.\n"
  "inline constexpr char ${NAME}[] = R\"SPOKEEMBED(${text})SPOKEEMBED\";\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
