// share-file never uses uTP (it is UDP, and share-file opens no UDP socket). webtorrent requires
// utp-native at load time, whose native binary exists only for some platforms; on the others
// webtorrent prints a warning. This empty stand-in makes webtorrent see "no uTP" quietly.
module.exports = {}
