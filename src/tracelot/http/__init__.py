"""What the API and the web pages share, below both: the secret key, the session cookie
and its CSRF token, the signed-in user, and the database acting as that user. Neither
`tracelot.api` nor `tracelot.web` imports the other; `tracelot.server` puts them on one
application."""
