import ArgumentParser
import Distributed

extension CommunicationBackend: ExpressibleByArgument {}
