# Sourced by the bench scripts: the corpus of an npm package, fetched once into a shared cache.
# The caller defines log and die and sets CACHE (outside the repository).
#
#   corpus_of NAME[@VERSION]   prints the directory holding every .proto of that release, at its
#                              path inside the package (package/ stripped); without a version, the
#                              newest release already in the cache, else the one npm gives.
# shellcheck shell=bash

corpus_tgz() {  # corpus_tgz NAME VERSION -> prints the cached tarball, or nothing
  local name=$1 version=$2
  if [[ -n $version ]]; then
    [[ -f $CACHE/$name-$version.tgz ]] && echo "$CACHE/$name-$version.tgz"
  else
    find "$CACHE" -maxdepth 1 -name "$name-[0-9]*.tgz" | sort -V | tail -n 1
  fi
  return 0
}

corpus_of() {
  local spec=$1 name=${1%@*} version="" tgz base dir
  [[ $spec == *@* && $spec != @* ]] && version=${spec##*@}
  mkdir -p "$CACHE"
  tgz=$(corpus_tgz "$name" "$version")
  if [[ -z $tgz ]]; then
    command -v npm >/dev/null || die "npm is required to fetch $spec"
    log "npm pack $spec -> $CACHE"
    (cd "$CACHE" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
    tgz=$(corpus_tgz "$name" "$version")
    [[ -n $tgz ]] || die "npm pack $spec left no $name-*.tgz in $CACHE"
  fi
  base=$(basename "$tgz" .tgz)
  dir=$CACHE/corpus-$base
  if [[ ! -d $dir ]]; then
    log "extracting the .proto files of $base.tgz -> $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/x" "$dir.tmp/protos"
    tar -xzf "$tgz" -C "$dir.tmp/x"
    (cd "$dir.tmp/x/package" && find . -type f -name '*.proto' -print0 |
      tar --null -T - -cf - | tar -xf - -C "$dir.tmp/protos")
    mv "$dir.tmp/protos" "$dir" && rm -rf "$dir.tmp"
  fi
  echo "$dir"
}
