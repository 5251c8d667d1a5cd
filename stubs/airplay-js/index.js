// webtorrent-cli loads AirPlay only for --airplay, which the tests never pass.
throw new Error('airplay-js is a stand-in: AirPlay is not available here');
