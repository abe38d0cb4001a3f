"""web/review"""
