@_exported import LocalServers
