"""The user and licence pages under the partner center's shell (/customers/<id>/users/…, /partner-users/…)."""

from hanse.admincenter.shells import PARTNER_CENTER, patterns

app_name = "pcusers"
urlpatterns = patterns(PARTNER_CENTER)
