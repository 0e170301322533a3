// Move keyboard and screen-reader focus to the error summary after a failed «Fullfør».
(function () {
  var summary = document.getElementById("feiloppsummering");
  if (summary) { summary.focus(); }
})();
